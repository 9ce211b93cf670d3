"""Suite files expand into the runs they describe, and reject what they cannot mean."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios.catalog import logical_scenarios
from scenarios.suites.plan import SuiteFileError, builtin_suites, expand, load_suite
from scenarios.suites.sampling import sample_values

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

DATA = Path(__file__).parent / "data"


def _suite(text: str, base: Path = DATA):
    return expand(tomllib.loads(text), "t.toml", base)


def test_grid_repetitions_and_fixed_params_multiply_out():
    s = _suite("""
name = "g"
seed = 5
[[runs]]
scenario = "gn-rtor"
params = { arrow = true }
grid = { walker_speed = [1.0, 1.6], courier_speed = [10.0, 12.0, 14.0] }
repetitions = 2
""")
    assert len(s.tasks) == 2 * 3 * 2
    combos = {(dict(t.params)["walker_speed"], dict(t.params)["courier_speed"], t.seed)
              for t in s.tasks}
    assert len(combos) == 12
    assert {t.seed for t in s.tasks} == {5, 6}
    assert all(dict(t.params)["arrow"] is True for t in s.tasks)
    assert [t.idx for t in s.tasks] == list(range(12))
    assert len({t.run_id for t in s.tasks}) == 12
    assert len({t.out_dir for t in s.tasks}) == 12
    # the default timeout follows the scenario's simulated time (45 s)
    assert s.tasks[0].timeout_s == pytest.approx(60 + 5 * 45)


def test_declared_grid_is_the_scenarios_own_values_lists():
    s = _suite('name = "d"\n[[runs]]\nscenario = "gn-rtor"\ngrid = "declared"\n')
    decls = logical_scenarios()["gn-rtor"].decls
    n = 1
    for d in decls.values():
        n *= len(d.values or (d.default,))
    assert len(s.tasks) == n == 12


def test_run_ids_are_stable_and_change_with_what_the_run_is():
    text = 'name = "a"\n[[runs]]\nscenario = "sz-child"\nseeds = [3]\n'
    a, b = _suite(text), _suite(text)
    assert a.tasks[0].run_id == b.tasks[0].run_id and a.digest == b.digest
    for other in ('name = "a"\n[[runs]]\nscenario = "sz-child"\nseeds = [4]\n',
                  'name = "a"\n[[runs]]\nscenario = "sz-child"\nseeds = [3]\nduration_s = 9.0\n',
                  'name = "a"\n[[runs]]\nscenario = "sz-child"\nseeds = [3]\n'
                  'params = { child_speed = 3.0 }\n',
                  'name = "a"\n[[runs]]\nscenario = "sz-child"\nseeds = [3]\nv2x = false\n'):
        assert _suite(other).tasks[0].run_id != a.tasks[0].run_id


def test_samples_are_seeded_within_range_and_latin_hypercube_strata():
    text = """
name = "s"
[[runs]]
scenario = "stalled-gap.toml"
sample = { n = 10, seed = 4, params = ["gap", "ego_speed"] }
"""
    a, b = _suite(text), _suite(text)
    assert [t.params for t in a.tasks] == [t.params for t in b.tasks]
    gaps = sorted(dict(t.params)["gap"] for t in a.tasks)
    assert all(6.0 <= g <= 80.0 for g in gaps)
    # one draw in each tenth of the range
    strata = sorted(int((g - 6.0) / 7.4) for g in gaps)
    assert strata == list(range(10))
    c = _suite(text.replace("seed = 4", "seed = 5"))
    assert [t.params for t in c.tasks] != [t.params for t in a.tasks]


def test_grid_and_sample_combine_and_ranges_narrow():
    s = _suite("""
name = "gs"
[[runs]]
scenario = "stalled-gap.toml"
grid = { ego_speed = [8.0, 14.0] }
sample = { n = 3, method = "uniform", params = ["gap"], ranges = { gap = [10.0, 20.0] } }
""")
    assert len(s.tasks) == 6
    assert [dict(t.params)["ego_speed"] for t in s.tasks] == [8.0] * 3 + [14.0] * 3
    assert all(10.0 <= dict(t.params)["gap"] <= 20.0 for t in s.tasks)


def test_sampling_of_int_and_bool_parameters():
    from scenarios.params import ParameterDecl

    decls = {"n": ParameterDecl("n", 2, min=1, max=3),
             "on": ParameterDecl("on", False)}
    draws = sample_values({"n": 60, "seed": 1, "params": ["n", "on"]}, decls)
    assert {d["n"] for d in draws} == {1, 2, 3}
    assert all(type(d["n"]) is int for d in draws)
    assert {d["on"] for d in draws} == {False, True}


@pytest.mark.parametrize("text, where", [
    ('name = "x"\nwhat = 1\n[[runs]]\nscenario = "gn-rtor"\n', "what: unknown key"),
    ('name = "x"\n[[runs]]\nscenario = "gn-rtor"\nrepeat = 2\n', "runs[0].repeat: unknown key"),
    ('name = "x"\n[[runs]]\nscenario = "no-such"\n', "unknown scenario 'no-such'"),
    ('name = "x"\n[[runs]]\nscenario = "missing.toml"\n', "missing.toml: no such file"),
    ('name = "x"\n[[runs]]\nscenario = "gn-rtor"\nparams = { speed = 1.0 }\n',
     "parameter 'speed': "),
    ('name = "x"\n[[runs]]\nscenario = "gn-rtor"\ngrid = { walker_speed = [9.0] }\n',
     "9.0 is above the maximum 2.0"),
    ('name = "x"\n[[runs]]\nscenario = "gn-rtor"\nseeds = [1, 1]\n', "repeats a seed"),
    ('name = "x"\n[[runs]]\nscenario = "gn-rtor"\n[[runs]]\nscenario = "gn-rtor"\n',
     "runs[1]: run 1 (gn-rtor, {}, seed 0) repeats run 0"),
    ('name = "x"\noutputs = "all"\n[[runs]]\nscenario = "gn-rtor"\n', "outputs: 'all'"),
    ('name = "x"\n[[runs]]\nscenario = "gn-rtor"\nsample = { n = 0 }\n', "runs[0].sample: n:"),
    ('name = "x"\n[[runs]]\nscenario = "kc-toll-tunnel-workzone"\nparams = { a = 1 }\n',
     "declares no kav parameters"),
    ('name = "x"\n', "runs: missing"),
    ('seed = 1\n[[runs]]\nscenario = "gn-rtor"\n', "name: missing"),
])
def test_bad_suite_files_name_the_key(text, where):
    with pytest.raises(SuiteFileError) as err:
        _suite(text)
    assert where in str(err.value)
    assert str(err.value).startswith("t.toml: ")


def test_unreadable_and_unknown_suites(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = [\n")
    with pytest.raises(SuiteFileError, match="bad.toml: not a TOML file"):
        load_suite(bad)
    with pytest.raises(SuiteFileError, match="no such built-in suite"):
        load_suite("no-such-suite")


def test_builtin_suites_load():
    names = builtin_suites()
    assert {"korea-pilot", "ncap-aeb", "r157"} <= set(names)
    pilot = load_suite("korea-pilot")
    assert sorted(t.scenario for t in pilot.tasks) == sorted(logical_scenarios())
    for name in ("ncap-aeb", "r157"):
        suite = load_suite(name)
        assert len(suite.tasks) >= 10, name
        assert len({t.scenario for t in suite.tasks}) >= 2, name
