"""Traffic-step throughput: kav's embedded engine vs a plain-Python reference vs SUMO.

One run prints one table of vehicle-steps per second (valid vehicles x steps / wall time)
for the same map and the same number of vehicles in every column:

* kav: ``EmbeddedEngine(net).step(state, actions, rng)`` (IDM + MOBIL + kinematic bicycle +
  lane following + Korean signals), one core, after a warm-up (Numba compiled and cached,
  first calls left out), median of ``--repeats`` runs of ``--steps`` steps from one state;
* reference: the same ``EmbeddedEngine.step`` with the Numba kernel swapped for its plain
  Python/NumPy twin ``sim.traffic._reference.vehicle_step_ref``, so both get their
  arguments from the engine's own gathering code; checked equivalent to the kernel on the
  same inputs, timed over a few steps only;
* SUMO: libsumo (C++) on the same OpenDRIVE map converted by netconvert, the same number and
  mix of vehicles on long random routes, one thread, the same 0.05 s step.

Usage: ``python benchmarks/traffic_step.py [--sizes 100,1000,1000@benchmark,10000] [--steps N]
[--repeats N] [--no-sumo] [--no-reference]``; see ``benchmarks/README.md``.
"""

from __future__ import annotations

import os
import sys

if "numba" not in sys.modules:  # one core for kav; must be set before numba is imported
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import dataclasses  # noqa: E402
import hashlib  # noqa: E402
import importlib  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(REPO))

from scenarios.maps import benchmark_grid, build_grid, sangam_dmc_grid, write_xodr  # noqa: E402
from sim._numba_env import cache_dir  # noqa: E402 (importing sim sets NUMBA_CACHE_DIR)
from sim.actions import Actions  # noqa: E402
from sim.actors import KIND_PROPS, ActorKind, is_vehicle  # noqa: E402
from sim.engines.embedded import EmbeddedEngine  # noqa: E402
from sim.rng import RngTree  # noqa: E402
from sim.roadnet.loader import load_network_text  # noqa: E402
from sim.roadnet.network import RoadNetwork  # noqa: E402
from sim.state import AgentMemory, AgentParams, WorldState, empty_state  # noqa: E402
from sim.traffic import _kernels as TK  # noqa: E402
from sim.traffic.spawn import spawn_traffic  # noqa: E402

DT_S = 0.05  # [s] the step of every engine here (kav's default 20 Hz)
TARGET_RATE = 1_000_000  # [vehicle-steps/s] on one core (issue target)
TARGET_SUMO_RATIO = 10.0  # kav / SUMO at TARGET_SUMO_SIZE vehicles (issue target)
TARGET_SUMO_SIZE = 1000
REFERENCE_MODULE = "sim.traffic._reference"
REFERENCE_FUNC = "vehicle_step_ref"
MAPS = {"sangam": sangam_dmc_grid, "benchmark": benchmark_grid}
DEFAULT_SIZES = "100,1000,1000@benchmark,10000"
# files whose code decides where spawn_traffic puts vehicles (the spawn cache key)
SPAWN_SOURCES = ("sim/traffic/spawn.py", "sim/state.py", "sim/actors.py", "sim/roadnet",
                 "sim/collision/_kernels.py")


# -- command line ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """One table row to measure: ``n`` vehicles on the map named ``map_name``."""

    n: int
    map_name: str


def parse_sizes(text: str) -> list[Case]:
    """``"100,1000,1000@benchmark,10000"`` -> cases; a bare size picks its default map
    (Sangam up to 1,000 vehicles, the benchmark grid above)."""
    cases = []
    for item in filter(None, (p.strip() for p in text.split(","))):
        size, _, name = item.partition("@")
        n = int(size.replace("_", ""))
        if n < 1:
            raise argparse.ArgumentTypeError(f"size must be >= 1, got {n}")
        name = name or ("sangam" if n <= 1000 else "benchmark")
        if name not in MAPS:
            raise argparse.ArgumentTypeError(f"unknown map {name!r}; use one of {sorted(MAPS)}")
        cases.append(Case(n, name))
    if not cases:
        raise argparse.ArgumentTypeError("no sizes given")
    return cases


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--sizes", type=parse_sizes, default=parse_sizes(DEFAULT_SIZES),
                   help="vehicle counts, comma separated; N@sangam or N@benchmark picks the map")
    p.add_argument("--steps", type=int, default=100, help="timed steps per repeat")
    p.add_argument("--repeats", type=int, default=3, help="repeats (median taken)")
    p.add_argument("--warmup", type=int, default=40,
                   help="untimed steps before timing (kav; SUMO after its population is full)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--no-sumo", action="store_true", help="skip the SUMO column")
    p.add_argument("--no-reference", action="store_true", help="skip the reference column")
    p.add_argument("--ref-steps", type=int, default=3, help="timed reference steps")
    p.add_argument("--ref-budget", type=float, default=60.0,
                   help="skip the reference at a size whose run would take longer [s]")
    p.add_argument("--sumo-cf", choices=("IDM", "Krauss"), default="IDM",
                   help="SUMO car-following model")
    p.add_argument("--sumo-insert-steps", type=int, default=600,
                   help="at most this many steps for SUMO to insert every vehicle")
    args = p.parse_args(argv)
    for name in ("steps", "repeats", "ref_steps"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.warmup < 1:
        p.error("--warmup must be >= 1 (the first calls are never timed)")
    return args


# -- maps and vehicles ----------------------------------------------------------------------

@dataclass
class MapCase:
    """A generated map: its OpenDRIVE text and kav's loaded network."""

    name: str
    spec_name: str
    xodr: str
    net: RoadNetwork

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.xodr.encode("utf-8")).hexdigest()


def load_map(name: str) -> MapCase:
    """Build a preset grid (``sangam`` or ``benchmark``) and load it into kav."""
    spec = MAPS[name]()
    text = build_grid(spec)
    return MapCase(name, spec.name, text, load_network_text(text, source=f"{spec.name}.xodr"))


def _source_digest(paths=SPAWN_SOURCES) -> str:
    h = hashlib.sha256()
    for rel in paths:
        p = REPO / rel
        for f in sorted(p.rglob("*.py")) if p.is_dir() else [p]:
            h.update(f.relative_to(REPO).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def _state_arrays(state: WorldState) -> dict[str, np.ndarray]:
    arrays = {"time_us": np.int64(state.time_us)}
    for prefix, obj in (("", state), ("params.", state.params), ("memory.", state.memory)):
        for f in dataclasses.fields(obj):
            if f.name not in ("time_us", "params", "memory"):
                arrays[prefix + f.name] = getattr(obj, f.name)
    return arrays


def _state_from_arrays(arrays) -> WorldState:
    def part(cls, prefix):
        return cls(**{f.name: np.array(arrays[prefix + f.name]) for f in dataclasses.fields(cls)})

    top = {f.name: np.array(arrays[f.name]) for f in dataclasses.fields(WorldState)
           if f.name not in ("time_us", "params", "memory")}
    return WorldState(time_us=int(arrays["time_us"]), params=part(AgentParams, "params."),
                      memory=part(AgentMemory, "memory."), **top).validate()


def spawn_state(mc: MapCase, n: int, seed: int) -> tuple[WorldState, str]:
    """``n`` roaming vehicles from ``spawn_traffic`` (cached on disk: spawning is slow for
    big n). Returns the state and where it came from."""
    key = hashlib.sha256(f"{mc.digest}|{n}|{seed}|{_source_digest()}".encode()).hexdigest()[:16]
    folder = cache_dir("benchmarks")
    path = folder / f"spawn-{mc.name}-{n}-s{seed}-{key}.npz"
    if path.is_file():
        with np.load(path) as z:
            return _state_from_arrays(z), f"cached spawn ({path.name})"
    t0 = time.perf_counter()
    state = spawn_traffic(mc.net, empty_state(n), RngTree(seed).child("spawn").generator(), n)
    took = time.perf_counter() - t0
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
    np.savez(tmp, **_state_arrays(state))
    os.replace(tmp, path)
    for stale in folder.glob(f"spawn-{mc.name}-{n}-s{seed}-*.npz"):  # older code or map
        if stale != path and not stale.name.endswith(".tmp.npz"):
            stale.unlink(missing_ok=True)
    return state, f"spawn_traffic {took:.1f} s"


def vehicle_count(state: WorldState) -> int:
    """Valid vehicle rows (pedestrians and free rows excluded)."""
    return int(np.count_nonzero(state.valid & is_vehicle(state.kind)))


def traffic_rngs(seed: int, first_step: int, count: int) -> list[np.random.Generator]:
    """The per-step generators a run would hand to ``step`` (made before any timing)."""
    tree = RngTree(seed).child("traffic")
    return [tree.generator(first_step + k) for k in range(count)]


# -- kav: the engine's own step -------------------------------------------------------------

@dataclass
class Timing:
    """Vehicle-steps per second and how it was obtained."""

    rate: float | None = None
    note: str = ""
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Sample:
    """One timed repeat: valid vehicles x steps, wall and process-CPU seconds."""

    vehicle_steps: int
    wall_s: float
    cpu_s: float


def timed(fn) -> tuple[object, float, float]:
    """(fn(), wall seconds, this process's CPU seconds)."""
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def summarise(samples: list[Sample], steps: int) -> Timing:
    """The median repeat by wall time. cpu/wall well below 1 means the process was kept
    waiting (a busy machine) and the wall-time rate is pessimistic."""
    med = sorted(samples, key=lambda x: x.wall_s)[len(samples) // 2]
    cpu_wall = sum(x.cpu_s for x in samples) / sum(x.wall_s for x in samples)
    return Timing(med.vehicle_steps / med.wall_s,
                  details={"step_ms": 1e3 * med.wall_s / steps, "cpu_wall": cpu_wall,
                           "walls_s": [x.wall_s for x in samples]})


def run_steps(step, state: WorldState, rngs, actions: Actions) -> tuple[WorldState, int]:
    """Apply ``step`` once per generator; returns the last state and valid vehicles x steps."""
    veh = is_vehicle(state.kind)
    vsteps = 0
    for g in rngs:
        vsteps += int(np.count_nonzero(state.valid & veh))
        state = step(state, actions, g)
    return state, vsteps


def warm_up(engine: EmbeddedEngine, state: WorldState, steps: int, seed: int) -> WorldState:
    """Untimed steps: compiles / loads the Numba kernels and lets the traffic settle."""
    actions = Actions.none(state.n_actors)
    state, _ = run_steps(engine.step, state, traffic_rngs(seed, 0, steps), actions)
    return state


def kav_repeat(engine: EmbeddedEngine, start: WorldState, steps: int, seed: int) -> Sample:
    """``steps`` engine steps from ``start`` (the same state and generators every repeat)."""
    actions = Actions.none(start.n_actors)
    rngs = traffic_rngs(seed, start.time_us // engine.dt_us, steps)
    (_, vsteps), wall, cpu = timed(lambda: run_steps(engine.step, start, rngs, actions))
    return Sample(vsteps, wall, cpu)


def time_kernel_share(engine: EmbeddedEngine, start: WorldState, steps: int,
                      seed: int) -> float:
    """Fraction of kav's step time spent inside the ``vehicle_step`` kernel (the rest is
    the Python around it: signals, crosswalks, argument gathering, allocation)."""
    actions = Actions.none(start.n_actors)
    rngs = traffic_rngs(seed, start.time_us // engine.dt_us, steps)
    inside = 0.0

    def timed_kernel(*args):
        nonlocal inside
        t0 = time.perf_counter()
        NUMBA_KERNEL(*args)
        inside += time.perf_counter() - t0

    state = start
    t0 = time.perf_counter()
    for g in rngs:
        state = step_with(timed_kernel, engine, state, actions, g)
    return inside / (time.perf_counter() - t0)


# -- one engine step with another kernel in place of the Numba one ------------------------

NUMBA_KERNEL = TK.vehicle_step


@contextlib.contextmanager
def kernel_in_engine(kernel):
    """Within the block ``EmbeddedEngine.step`` calls ``kernel`` where it calls
    ``sim.traffic._kernels.vehicle_step``, with the argument tuple the engine itself gathers
    (the same rng draws, signal states, crosswalk status and fresh ``out_*`` arrays), so the
    kernel and the reference are driven by one and the same argument-gathering code. Yields
    a one-item list counting the calls."""
    calls = [0]

    def swapped(*args):
        calls[0] += 1
        return kernel(*args)

    TK.vehicle_step = swapped
    try:
        yield calls
    finally:
        TK.vehicle_step = NUMBA_KERNEL


def step_with(kernel, engine: EmbeddedEngine, state: WorldState, actions: Actions,
              rng: np.random.Generator) -> WorldState:
    """``engine.step`` with ``kernel`` in place of the Numba ``vehicle_step``. Raises if the
    engine did not go through the swap (the reference would then silently not be timed)."""
    with kernel_in_engine(kernel) as calls:
        out = engine.step(state, actions, rng)
    if calls[0] != 1:
        raise RuntimeError("EmbeddedEngine.step no longer calls sim.traffic._kernels."
                           "vehicle_step through the module; update benchmarks/traffic_step.py")
    return out


# -- plain Python / NumPy reference ---------------------------------------------------------

def load_reference():
    """(function, "") or (None, why it is not available)."""
    try:
        module = importlib.import_module(REFERENCE_MODULE)
    except ImportError as exc:
        return None, f"reference not available ({REFERENCE_MODULE}: {exc})"
    func = getattr(module, REFERENCE_FUNC, None)
    if func is None:
        return None, f"reference not available ({REFERENCE_MODULE} has no {REFERENCE_FUNC})"
    return func, ""


def compare_states(a: WorldState, b: WorldState) -> tuple[bool, str]:
    """Equivalence of two next states: integer arrays equal, floats within 1e-6."""
    worst, name_worst = 0.0, ""
    va, vb = _state_arrays(a), _state_arrays(b)
    for name, x in va.items():
        y = vb[name]
        if np.issubdtype(np.asarray(x).dtype, np.floating):
            diff = float(np.max(np.abs(x - y), initial=0.0)) if np.size(x) else 0.0
            if not np.all(np.isfinite(x) == np.isfinite(y)):
                diff = np.inf
            if diff > worst:
                worst, name_worst = diff, name
        elif not np.array_equal(x, y):
            return False, f"{name} differs"
    if worst > 1e-6:
        return False, f"{name_worst} differs by {worst:.3g}"
    return True, f"max |diff| {worst:.1e}"


def time_reference(ref, engine: EmbeddedEngine, start: WorldState, steps: int, seed: int,
                   budget_s: float, est_step_s: float | None) -> Timing:
    """Per-step median over ``steps`` sequential reference steps from ``start``, after one
    untimed step that also checks equivalence with the kernel. Skipped when the estimated
    run (from a smaller size's per-vehicle cost) exceeds ``budget_s``."""
    n_veh = vehicle_count(start)
    if est_step_s is not None and est_step_s * (1 + steps) > budget_s:
        if est_step_s * 2 > budget_s:
            return Timing(None, f"skipped: ~{est_step_s:.0f} s per step, 2 steps > "
                                f"{budget_s:.0f} s budget")
        steps = max(1, int(budget_s / est_step_s) - 1)
    actions = Actions.none(start.n_actors)
    first = start.time_us // engine.dt_us
    g_ref, g_ker = traffic_rngs(seed, first, 1)[0], traffic_rngs(seed, first, 1)[0]
    t0 = time.perf_counter()
    ref_next = step_with(ref, engine, start, actions, g_ref)
    first_s = time.perf_counter() - t0
    ker_next = engine.step(start, actions, g_ker)
    same, how = compare_states(ref_next, ker_next)
    if first_s * (1 + steps) > budget_s:
        steps = max(1, int(budget_s / first_s) - 1)
    times, state = [], ref_next
    for g in traffic_rngs(seed, first + 1, steps):
        nv = vehicle_count(state)
        t0 = time.perf_counter()
        state = step_with(ref, engine, state, actions, g)
        times.append((time.perf_counter() - t0) / max(nv, 1))
    per_vehicle = statistics.median(times)
    note = f"{steps} step(s); {'equivalent' if same else 'NOT EQUIVALENT'} to kernel ({how})"
    return Timing(1.0 / per_vehicle, note, {"equivalent": same, "step_s": per_vehicle * n_veh})


# -- SUMO -----------------------------------------------------------------------------------

NETCONVERT_OPTS = ("--opendrive.internal-shapes", "--no-turnarounds")
SUMO_VTYPES = {  # kav's fleet (sim.actors.KIND_PROPS, spawn._driver_params means)
    ActorKind.CAR: ("passenger", 1.7, 2.0),
    ActorKind.BUS: ("bus", 1.0, 1.5),
    ActorKind.TRUCK: ("delivery", 1.2, 2.0),
    ActorKind.MOTORCYCLE: ("motorcycle", 2.5, 2.0),
}


def sumo_binary(name: str) -> str:
    """Path of a SUMO program from the eclipse-sumo wheel (or PATH)."""
    try:
        import sumo

        candidate = Path(sumo.SUMO_HOME) / "bin" / name
        if candidate.is_file():
            return str(candidate)
    except ImportError:
        pass
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found: pip install eclipse-sumo")
    return found


def sumo_net(mc: MapCase) -> tuple[Path, str]:
    """Write the map as .xodr and convert it with netconvert (cached by the map's hash).
    Traffic lights: netconvert's own import from the OpenDRIVE signals; ``--tls.guess`` only
    if that gave none. Returns the .net.xml path and a note on the lights."""
    folder = cache_dir("benchmarks") / "sumo" / f"{mc.name}-{mc.digest[:16]}"
    net_file = folder / "net.net.xml"
    note_file = folder / "tls.txt"
    if net_file.is_file() and note_file.is_file():
        return net_file, note_file.read_text()
    xodr = write_xodr(mc.xodr, folder / "map.xodr")
    n_tls = 0
    for extra in ((), ("--tls.guess",)):
        cmd = [sumo_binary("netconvert"), "--opendrive-files", str(xodr), "-o", str(net_file),
               *NETCONVERT_OPTS, *extra]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        (folder / "netconvert.log").write_text(" ".join(cmd) + "\n" + res.stdout + res.stderr)
        if res.returncode != 0:
            raise RuntimeError(f"netconvert failed ({res.returncode}); see {folder}")
        n_tls = net_file.read_text().count("<tlLogic ")
        if n_tls:
            how = "guessed by --tls.guess" if extra else "imported from the OpenDRIVE signals"
            break
    else:
        how = "none (netconvert imported and guessed none)"
    n_signalised = int(np.count_nonzero(mc.net.junctions.signalised))
    note = f"{n_tls} SUMO traffic lights {how} (kav: {n_signalised} signalised junctions)"
    note_file.write_text(note)
    for stale in folder.parent.glob(f"{mc.name}-*"):  # conversions of older map versions
        if stale != folder and stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
    return net_file, note


def _walk_route(rnd: random.Random, start, vclass: str, min_length: float, outgoing) -> list:
    """A random walk over allowed edge connections of at least ``min_length`` [m]."""
    route, length, edge = [start], start.getLength(), start
    while length < min_length:
        nxt = outgoing(edge, vclass)
        if not nxt:
            break
        edge = nxt[rnd.randrange(len(nxt))]
        route.append(edge)
        length += edge.getLength()
    return route


def sumo_routes(net_file: Path, kinds: np.ndarray, seed: int, min_length: float) -> Path:
    """One vehicle per kav vehicle (same kinds), departing at t = 0 at a random free spot of
    a random lane on a long random route (so none arrives while measured)."""
    import sumolib

    net = sumolib.net.readNet(str(net_file))
    rnd = random.Random(seed)
    cache: dict = {}

    def outgoing(edge, vclass):
        key = (edge.getID(), vclass)
        if key not in cache:
            cache[key] = sorted((e for e in edge.getAllowedOutgoing(vclass)
                                 if e.getFunction() != "internal"), key=lambda e: e.getID())
        return cache[key]

    lines = ["<routes>"]
    for kind, (vclass, accel, decel) in SUMO_VTYPES.items():
        kp = KIND_PROPS[kind]
        lines.append(f'  <vType id="{kind.name.lower()}" vClass="{vclass}" length="{kp.length}" '
                     f'width="{kp.width}" maxSpeed="{kp.max_speed}" accel="{accel}" '
                     f'decel="{decel}" emergencyDecel="{kp.max_decel}" tau="1.5" minGap="2.0" '
                     f'speedFactor="normc(1,0.08,0.8,1.15)"/>')
    starts = {}
    for kind, (vclass, _, _) in SUMO_VTYPES.items():
        edges = sorted((e for e in net.getEdges() if e.getFunction() != "internal"
                        and e.allows(vclass)), key=lambda e: e.getID())
        weights = [e.getLength() * sum(lane.allows(vclass) for lane in e.getLanes())
                   for e in edges]
        starts[kind] = (edges, weights)
    for i, k in enumerate(kinds):
        kind = ActorKind(int(k))
        edges, weights = starts[kind]
        start = rnd.choices(edges, weights=weights)[0]
        route = _walk_route(rnd, start, SUMO_VTYPES[kind][0], min_length, outgoing)
        lines.append(f'  <vehicle id="v{i}" type="{kind.name.lower()}" depart="0" '
                     f'departPos="random_free" departLane="random" departSpeed="random">'
                     f'<route edges="{" ".join(e.getID() for e in route)}"/></vehicle>')
    lines.append("</routes>")
    path = net_file.parent / f"routes-{len(kinds)}-{seed}.rou.xml"
    path.write_text("\n".join(lines) + "\n")
    return path


def sumo_options(net_file: Path, route_file: Path, seed: int, cf_model: str) -> list[str]:
    """The SUMO command line used for the measurement."""
    return ["sumo", "-n", str(net_file), "-r", str(route_file), "--step-length", str(DT_S),
            "--threads", "1", "--no-step-log", "--no-warnings", "--seed", str(seed),
            "--carfollow.model", cf_model]


def insert_until_full(libsumo, target: int, max_steps: int, stall_steps: int = 100) -> int:
    """Step until ``target`` vehicles run, the count has not grown for ``stall_steps``
    steps (the rest cannot be inserted: no free room on their start lanes), or
    ``max_steps``. Returns the steps taken."""
    best, best_at, k = -1, 0, 0
    while k < max_steps:
        count = libsumo.vehicle.getIDCount()
        if count >= target or k - best_at >= stall_steps:
            break
        if count > best:
            best, best_at = count, k
        libsumo.simulationStep()
        k += 1
    return k


class SumoRun:
    """One libsumo simulation of ``kinds`` vehicles on the map, ready to be timed: every
    vehicle inserted (or insertion stalled, see :func:`insert_until_full`) and ``warmup``
    more steps done. :meth:`repeat` times further steps; :meth:`close` ends it."""

    def __init__(self, mc: MapCase, kinds: np.ndarray, args):
        import libsumo

        self.sumo = libsumo
        self.target = len(kinds)
        self.net_file, self.tls_note = sumo_net(mc)
        total_steps = args.sumo_insert_steps + args.warmup + args.repeats * args.steps
        min_route = 20.0 * DT_S * total_steps + 500.0  # [m] more than anyone can drive
        route_file = sumo_routes(self.net_file, kinds, args.seed, min_route)
        self.options = sumo_options(self.net_file, route_file, args.seed, args.sumo_cf)
        libsumo.start(self.options)
        self.inserted_after = insert_until_full(libsumo, self.target, args.sumo_insert_steps)
        self.inserted = libsumo.vehicle.getIDCount()
        for _ in range(args.warmup):
            libsumo.simulationStep()
        self.arrived = self.teleported = 0

    def _steps(self, steps: int) -> int:
        sumo, vsteps = self.sumo, 0
        for _ in range(steps):
            vsteps += sumo.vehicle.getIDCount()
            sumo.simulationStep()
            self.arrived += sumo.simulation.getArrivedNumber()
            self.teleported += sumo.simulation.getStartingTeleportNumber()
        return vsteps

    def repeat(self, steps: int) -> Sample:
        """``steps`` more steps; counts the vehicles running at each step."""
        vsteps, wall, cpu = timed(lambda: self._steps(steps))
        return Sample(vsteps, wall, cpu)

    def close(self) -> None:
        self.sumo.close()

    def note(self, samples: list[Sample], steps: int) -> str:
        mean_running = sum(x.vehicle_steps for x in samples) / (steps * len(samples))
        how = "all" if self.inserted >= self.target else "insertion stalled:"
        return (f"{how} {self.inserted:,} of {self.target:,} inserted after "
                f"{self.inserted_after} steps, {mean_running:,.1f} running on average while "
                f"timed; {self.arrived} arrived, {self.teleported} teleported while timed; "
                f"{self.tls_note}")


# -- machine, table -------------------------------------------------------------------------

def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_lines() -> list[str]:
    """CPU, cores and the versions that matter for these numbers."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numba

    try:
        from scenarios.version import code_version

        cv = code_version()
        kav = f"{cv['package']} ({(cv['git_commit'] or 'no git')[:10]}" \
              f"{', dirty' if cv['git_dirty'] else ''})"
    except Exception:  # noqa: BLE001 - informational only
        kav = "unknown"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    return [
        f"machine: {cpu}; {os.cpu_count()} logical cores ({usable} usable); "
        f"{platform.system()} {platform.release()}",
        f"versions: kav {kav}; Python {platform.python_version()}; numpy {np.__version__}; "
        f"numba {numba.__version__} (NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}); "
        f"eclipse-sumo {_version('eclipse-sumo')}; libsumo {_version('libsumo')}",
    ]


def _fmt_rate(t: Timing | None) -> str:
    if t is None or t.rate is None:
        return "n/a"
    return f"{t.rate:,.0f}"


def _fmt_ratio(a: Timing | None, b: Timing | None) -> str:
    if a is None or b is None or a.rate is None or b.rate is None:
        return "n/a"
    return f"{a.rate / b.rate:,.1f}x"


@dataclass
class Row:
    """One measured size."""

    case: Case
    map_label: str
    n_valid: int
    kav: Timing
    ref: Timing | None
    sumo: Timing | None
    notes: list[str] = field(default_factory=list)


def format_table(rows: list[Row]) -> str:
    """The one printed table."""
    head = ("vehicles", "map", "kav veh-steps/s", "reference veh-steps/s", "SUMO veh-steps/s",
            "kav/reference", "kav/SUMO")
    body = [(f"{r.n_valid:,}", r.map_label, _fmt_rate(r.kav), _fmt_rate(r.ref),
             _fmt_rate(r.sumo), _fmt_ratio(r.kav, r.ref), _fmt_ratio(r.kav, r.sumo))
            for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]

    def line(cells):
        return " | ".join(c.ljust(w) if i < 2 else c.rjust(w)
                          for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([line(head), "-+-".join("-" * w for w in widths), *map(line, body)])


def target_lines(rows: list[Row]) -> list[str]:
    """Whether the issue's targets are met, per measured size."""
    out = []
    parts = [f"{r.n_valid:,}: {'MET' if r.kav.rate >= TARGET_RATE else 'NOT met'} "
             f"({r.kav.rate / 1e6:.2f}M)" for r in rows]
    out.append(f"target kav >= {TARGET_RATE:,} veh-steps/s on one core: " + "; ".join(parts))
    at = [r for r in rows if r.case.n == TARGET_SUMO_SIZE and r.sumo and r.sumo.rate]
    if at:
        ratios = [(r.map_label, r.kav.rate / r.sumo.rate) for r in at]
        parts = [f"{label}: {'MET' if x >= TARGET_SUMO_RATIO else 'NOT met'} ({x:.1f}x)"
                 for label, x in ratios]
        out.append(f"target kav >= {TARGET_SUMO_RATIO:.0f}x SUMO at {TARGET_SUMO_SIZE:,} "
                   "vehicles: " + "; ".join(parts))
    else:
        out.append(f"target kav >= {TARGET_SUMO_RATIO:.0f}x SUMO at {TARGET_SUMO_SIZE:,} "
                   "vehicles: not measured in this run")
    return out


# -- driver ---------------------------------------------------------------------------------

def _log(msg: str) -> None:
    print(f"[traffic_step] {msg}", file=sys.stderr, flush=True)


def time_side_by_side(engine: EmbeddedEngine, start: WorldState, sumo: SumoRun | None,
                      steps: int, repeats: int, seed: int) -> tuple[Timing, Timing | None]:
    """kav and SUMO repeats interleaved (kav, SUMO, kav, SUMO...), so that a change in the
    machine's load during the run hits both columns alike."""
    kav_s, sumo_s = [], []
    for _ in range(repeats):
        kav_s.append(kav_repeat(engine, start, steps, seed))
        if sumo is not None:
            sumo_s.append(sumo.repeat(steps))
    kav = summarise(kav_s, steps)
    if sumo is None:
        return kav, None
    sumo_t = summarise(sumo_s, steps)
    sumo_t.note = sumo.note(sumo_s, steps)
    return kav, sumo_t


def measure_case(case: Case, mc: MapCase, args, ref, ref_note: str,
                 ref_per_vehicle_s: float | None) -> Row:
    """All columns for one size."""
    state, spawn_note = spawn_state(mc, case.n, args.seed)
    engine = EmbeddedEngine(mc.net)
    n_valid = vehicle_count(state)
    label = f"{mc.name} ({mc.spec_name}, {mc.net.lanes.n:,} lanes)"
    notes = [f"{spawn_note}; {n_valid:,} vehicles"]
    _log(f"{case.n} @ {mc.name}: kav warm-up")
    start = warm_up(engine, state, args.warmup, args.seed)
    sumo = None
    if not args.no_sumo:
        _log(f"{case.n} @ {mc.name}: SUMO insertion and warm-up")
        sumo = SumoRun(mc, state.kind[state.valid & is_vehicle(state.kind)], args)
    _log(f"{case.n} @ {mc.name}: timing kav{' and SUMO' if sumo else ''}")
    try:
        kav, sumo_t = time_side_by_side(engine, start, sumo, args.steps, args.repeats,
                                        args.seed)
    finally:
        if sumo is not None:
            sumo.close()
    share = time_kernel_share(engine, start, min(args.steps, 50), args.seed)
    notes.append(f"kav: {kav.details['step_ms']:.2f} ms/step, {100 * share:.0f}% of it in the "
                 f"vehicle_step kernel; median of {args.repeats} x {args.steps} steps; "
                 f"cpu/wall {kav.details['cpu_wall']:.2f}")
    if sumo_t is not None:
        notes.append(f"SUMO: {sumo_t.details['step_ms']:.2f} ms/step; cpu/wall "
                     f"{sumo_t.details['cpu_wall']:.2f}; {sumo_t.note}")
    ref_t = None
    if not args.no_reference:
        if ref is None:
            ref_t = Timing(None, ref_note)
        else:
            _log(f"{case.n} @ {mc.name}: reference")
            est = None if ref_per_vehicle_s is None else ref_per_vehicle_s * n_valid
            ref_t = time_reference(ref, engine, start, args.ref_steps, args.seed,
                                   args.ref_budget, est)
        notes.append(f"reference: {ref_t.note}")
    return Row(case, label, n_valid, kav, ref_t, sumo_t, notes)


def run(args) -> list[Row]:
    """Measure every case; maps are built and loaded once each."""
    maps: dict[str, MapCase] = {}
    ref, ref_note = (None, "") if args.no_reference else load_reference()
    rows: list[Row] = []
    for case in args.sizes:
        if case.map_name not in maps:
            _log(f"building and loading map {case.map_name}")
            maps[case.map_name] = load_map(case.map_name)
        per_vehicle = None
        done = [r.ref.details["step_s"] / r.n_valid for r in rows
                if r.ref is not None and r.ref.rate is not None]
        if done:
            per_vehicle = max(done)
        rows.append(measure_case(case, maps[case.map_name], args, ref, ref_note, per_vehicle))
    return rows


def report(rows: list[Row], args) -> str:
    """Everything printed: header, the table, targets, notes, method."""
    out = ["Traffic step throughput (vehicle-steps/s = valid vehicles x steps / wall time; "
           f"dt = {DT_S} s)", *machine_lines(), "", format_table(rows), ""]
    out += target_lines(rows)
    out.append("")
    for r in rows:
        out.append(f"{r.n_valid:,} vehicles on {r.map_label}:")
        out += [f"  - {n}" for n in r.notes]
    if not args.no_sumo:
        opts = sumo_options(Path("net.net.xml"), Path("routes.rou.xml"), args.seed,
                            args.sumo_cf)
        out.append(f"netconvert: --opendrive-files map.xodr -o net.net.xml "
                   f"{' '.join(NETCONVERT_OPTS)} (--tls.guess only if no light was imported)")
        out.append("libsumo: " + " ".join(opts[1:]) + "; libsumo.simulationStep() per step")
        out.append(f"SUMO lane change: LC2013 (default); car following: {args.sumo_cf}; "
                   "vTypes from kav's fleet (sizes, max speeds, IDM a/b means, tau 1.5 s, "
                   "minGap 2 m)")
    else:
        out.append("SUMO: skipped (--no-sumo)")
    if args.no_reference:
        out.append("reference: skipped (--no-reference)")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rows = run(args)
    print(report(rows, args), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
