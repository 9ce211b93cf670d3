"""``kav``: the command line.

    kav run ID|FILE.toml|FILE.xosc [--seed N] [--out DIR] [--planner NAME|module:Class]
            [--duration S] [--param NAME=VALUE ...] [--no-v2x] [--pcap FILE.pcap]
            [--gif] [--no-record] [--key KEY.pem]
        exit status: 0 the run completed (verdict PASS or FAIL, see result.json),
        3 verdict ERROR (the run broke or cannot be judged), 1/2 bad input
    kav replay RECORDING.mcap [--out DIR] [--no-gif]   re-render from the file alone
    kav replay RECORDING.mcap --verify [--trusted-key HEX|PUB.pem]
        check the file (hash chain, signature) and re-simulate it step by step:
        exit 0 every step matches, 1 a step differs or the file was altered, 2 unreadable
    kav v2x pcap RUN_DIR|FRAMES.kavlog -o FILE.pcap   every transmitted V2X frame
    kav scenarios                       list the catalogue (id, zone, what it tests)
    kav map ZONE|BUILDER --plot FILE.png
    kav export ID|FILE.toml --xosc DIR  OpenSCENARIO + OpenDRIVE
    kav suite SUITE|FILE.toml [--out DIR] [--workers N | --ray ADDRESS|local] [--resume]
    kav suites | kav suite-report DIR | kav search SCENARIO --budget N
        batch runs, their results store and report, falsification search: see
        :mod:`scenarios.suites.cli`
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    from scenarios.version import code_version

    p = argparse.ArgumentParser(prog="kav", description="kav: Korean L4 simulation and V2X "
                                "testbed")
    p.add_argument("--version", action="version",
                   version=f"kav {code_version()['package']}")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run one scenario on the embedded engine")
    r.add_argument("scenario", help="catalogue id (see `kav scenarios`), a kav scenario file "
                                    "(.toml) or an OpenSCENARIO file (.xosc)")
    r.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    r.add_argument("--out", type=Path, default=None,
                   help="output folder (default runs/<scenario>-<seed>/)")
    r.add_argument("--planner", default=None,
                   help="planner name or package.module:Class (default: the scenario's)")
    r.add_argument("--duration", type=float, default=None,
                   help="override the scenario duration [s]")
    r.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="set a declared scenario parameter (repeatable)")
    r.add_argument("--quiet", action="store_true", help="print only errors")
    r.add_argument("--no-v2x", action="store_true",
                   help="switch every V2X radio off (compare with the cooperative run)")
    r.add_argument("--pcap", type=Path, default=None,
                   help="also write every transmitted V2X frame as a pcap file")
    r.add_argument("--gif", action="store_true",
                   help="also write replay.gif, the bird's-eye animation")
    r.add_argument("--no-record", action="store_true", help="do not write recording.mcap")
    r.add_argument("--key", type=Path, default=None,
                   help="Ed25519 private key (PEM) signing the recording (default: "
                        "$KAV_SIGNING_KEY, else one created in ~/.config/kav/)")
    rp = sub.add_parser("replay", help="re-render or verify a run from its recording")
    rp.add_argument("recording", type=Path, help="a recording.mcap (or its run folder)")
    rp.add_argument("--verify", action="store_true",
                    help="check the file and re-simulate it, comparing every step")
    rp.add_argument("--out", type=Path, default=None,
                    help="where re-rendered files go (default <recording folder>/replay/)")
    rp.add_argument("--no-gif", action="store_true", help="skip the animation")
    rp.add_argument("--trusted-key", default=None,
                    help="the signer's public key: 64 hex digits or a PEM file")
    v = sub.add_parser("v2x", help="V2X tools")
    vs = v.add_subparsers(dest="v2x_command", required=True)
    vp = vs.add_parser("pcap", help="turn a run's V2X frame log into a Wireshark capture")
    vp.add_argument("recording", type=Path,
                    help="a run folder or its v2x-frames.kavlog")
    vp.add_argument("-o", "--output", type=Path, required=True, help="pcap file to write")
    sub.add_parser("scenarios", help="list the built-in scenarios")
    m = sub.add_parser("map", help="draw a pilot-zone map")
    m.add_argument("zone", help="zone key (e.g. sangam, gangnam) or map builder name")
    m.add_argument("--plot", type=Path, required=True, help="PNG file to write")
    m.add_argument("--xodr", type=Path, default=None, help="also write the OpenDRIVE file")
    e = sub.add_parser("export", help="export a scenario to OpenSCENARIO + OpenDRIVE")
    e.add_argument("scenario", help="catalogue id or scenario file (.toml)")
    e.add_argument("--xosc", type=Path, required=True, help="output folder")
    from scenarios.suites.cli import add_parsers

    add_parsers(sub)
    return p


def _value(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def load_any(ref: str, params: dict | None = None):
    """A catalogue id, a .toml scenario file or a .xosc file -> ScenarioSpec."""
    path = Path(ref)
    if path.suffix.lower() == ".xosc":
        from scenarios.openscenario import load_xosc

        if params:
            raise ValueError("--param applies to kav scenario files; OpenSCENARIO files "
                             "carry their own ParameterDeclarations")
        return load_xosc(path)
    if path.suffix.lower() == ".toml":
        from scenarios.scenario_file import load_scenario

        return load_scenario(path, params)
    from scenarios.catalog import logical_scenarios

    catalog = logical_scenarios()
    if ref not in catalog:
        raise KeyError(f"unknown scenario {ref!r}; known: {', '.join(sorted(catalog))} "
                       "(or give a .toml / .xosc file)")
    return catalog[ref].concrete(params)


def _fail(msg: str, code: int) -> int:
    print(f"kav: {msg}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "scenarios":
        from scenarios.catalog import builtin_catalog

        for spec in builtin_catalog():
            print(f"{spec.id:28s} {spec.zone:16s} {spec.catalogue_ref:22s} {spec.tests}")
        return 0
    if args.command == "map":
        return _map(args)
    if args.command == "v2x":
        return _v2x_pcap(args)
    if args.command == "replay":
        return _replay(args)
    if args.command in ("suite", "suites", "suite-report", "search"):
        from scenarios.suites.cli import main as suites_main

        return suites_main(args)
    try:
        params = dict(_split(p) for p in getattr(args, "param", []))
        spec = load_any(args.scenario, params)
    except KeyError as exc:
        return _fail(exc.args[0], 2)
    except (ValueError, OSError) as exc:
        return _fail(f"error: {exc}", 2)
    if args.command == "export":
        from scenarios.openscenario import export_xosc

        try:
            xosc, xodr = export_xosc(spec, args.xosc)
        except (ValueError, OSError) as exc:
            return _fail(f"error: {exc}", 1)
        print(f"kav: wrote {xosc} and {xodr}")
        return 0
    from scenarios.runner import run
    from sim.roadnet.xodr import MapError

    if args.seed < 0:
        return _fail("--seed must be >= 0", 2)
    if args.duration is not None and not args.duration > 0:
        return _fail("--duration must be > 0", 2)
    try:
        result = run(spec, seed=args.seed, out=args.out, planner_name=args.planner,
                     duration_s=args.duration, quiet=args.quiet, v2x=not args.no_v2x,
                     pcap=args.pcap, source=source_for(args.scenario, params),
                     record=not args.no_record, gif=Path("replay.gif") if args.gif else None,
                     key_path=args.key)
    except (MapError, KeyError, TypeError, ValueError, OSError) as exc:
        return _fail(f"error: {exc.args[0] if exc.args else exc}", 1)
    return 3 if result.verdict == "ERROR" else 0


def source_for(ref: str, params: dict) -> dict:
    """Where a run's scenario comes from, for its recording: a catalogue id, or a .toml /
    .xosc file whose bytes the recording carries."""
    from scenarios.recording import catalog_source, file_source

    path = Path(ref)
    if path.suffix.lower() in (".toml", ".xosc"):
        return file_source(path, params)
    return catalog_source(ref, params)


def _replay(args) -> int:
    from scenarios.replay import render, verify
    from sim.recorder import RecordingError

    path = args.recording / "recording.mcap" if args.recording.is_dir() else args.recording
    if not path.is_file():
        return _fail(f"error: {path}: no such recording", 2)
    try:
        if args.verify:
            key = _public_key(args.trusted_key) if args.trusted_key else None
            rep = verify(path, key, progress=None)
            for p in rep.problems:
                print(f"kav: {path}: {p}", file=sys.stderr)
            if rep.ok:
                print(f"kav: {path}: verified: {rep.steps_compared} steps re-simulated, every "
                      f"state-history hash matches; hash chain and signature intact")
                return 0
            return 1
        out = args.out or path.parent / "replay"
        files = render(path, out, gif=not args.no_gif)
    except RecordingError as exc:
        return _fail(f"error: {exc}", 2)
    except (KeyError, ValueError, OSError) as exc:
        return _fail(f"error: {path}: {exc}", 2)
    print("kav: wrote " + ", ".join(str(f) for f in files))
    return 0


def _public_key(text: str) -> bytes:
    """64 hex digits or a PEM public-key file -> raw 32-byte Ed25519 key."""
    if len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text):
        return bytes.fromhex(text)
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_public_key(Path(text).read_bytes())
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _v2x_pcap(args) -> int:
    from scenarios.runner import FRAME_LOG
    from v2x.errors import DecodeError
    from v2x.framelog import to_pcap

    src = args.recording / FRAME_LOG if args.recording.is_dir() else args.recording
    if not src.is_file():
        return _fail(f"error: {src}: no V2X frame log (was the run made with V2X on?)", 2)
    try:
        n = to_pcap(src, args.output)
    except (DecodeError, OSError, ValueError) as exc:
        return _fail(f"error: {exc}", 1)
    print(f"kav: wrote {n} frames to {args.output}")
    return 0


def _split(text: str) -> tuple[str, object]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise ValueError(f"--param {text!r}: write NAME=VALUE")
    return name.strip(), _value(value.strip())


def _map(args) -> int:
    from scenarios.map_registry import ZONE_MAPS, build_map, map_builders
    from scenarios.mapplot import plot_map
    from sim.roadnet.loader import load_network_text

    name = ZONE_MAPS.get(args.zone, args.zone)
    if name not in map_builders():
        return _fail(f"unknown zone or map {args.zone!r}; zones: {', '.join(sorted(ZONE_MAPS))}"
                     f"; builders: {', '.join(sorted(map_builders()))}", 2)
    text = build_map(name)
    net = load_network_text(text, source=name)
    plot_map(net, args.plot, title=f"{args.zone}: {name}")
    if args.xodr is not None:
        from scenarios.maps import write_xodr

        write_xodr(text, args.xodr)
    print(f"kav: wrote {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
