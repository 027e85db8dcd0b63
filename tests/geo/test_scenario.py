"""Scenarios: unit changes, the store's versioned scenarios, permissions, evaluation, comparison."""

import shutil

import geopandas as gpd
import pytest

from geo.coverage import analyse_coverage
from geo.errors import AccessDeniedError, InputError, LayerMissingError, StaleVersionError
from geo.optimise import PlanRequest, candidate_sites, plan_units
from geo.permissions import Viewer
from geo.scenario import (
    CURRENT_DEPLOYMENT,
    apply_scenario,
    build_comparison_map,
    build_plan_map,
    build_scenario,
    compare_scenarios,
    delete_scenario,
    duplicate_scenario,
    evaluate_scenario,
    list_scenarios,
    load_scenario,
    save_scenario,
)
from geo.staffing import OfficerPool, allocate_officers
from geo.store import GeoPackageStore
from tests.geo import builders as b
from tests.geo.builders import at, centres, units
from tests.geo.template_payloads import PAYLOADS, check_literal, code_payload, renders

PLANNER = Viewer("Amal", "planner")
BRIEFER = Viewer("Sami", "briefer")


@pytest.fixture
def layers():
    """Centres at 0, 20 and 40 km; patrols at 0 and 60 km; a guard at C1."""
    c = centres(
        {"pos": at(0), "registered_voters": 900},
        {"pos": at(20), "registered_voters": 700},
        {"pos": at(40), "registered_voters": 500},
    )
    u = units(
        {"pos": at(0.2)},
        {"pos": at(60)},
        {"unit_type": "static_guard", "assigned_centre_id": "C1", "officers": 4},
    )
    return {"centres": c, "units": u}


@pytest.fixture
def plan(layers):
    c, u = layers["centres"], layers["units"]
    cov = analyse_coverage(c, u, None, None)
    request = PlanRequest(count=2, weight_by_risk=False)
    return plan_units(c, u, cov, candidate_sites("centres", centres=c), request=request)


def test_plan_becomes_kept_moved_added_and_removed_units(layers, plan):
    # The two patrols move to two centres (least total distance); nothing is kept.
    scenario = build_scenario("two", units=layers["units"], unit_plan=plan)
    assert scenario.counts() == {"kept": 0, "moved": 2, "added": 0, "removed": 0}
    moved = scenario.units.set_index("unit_id")
    assert set(moved["site_id"]) == set(plan.sites["site_id"])
    assert (moved["moved_km"] >= 0).all()


def test_kept_unit_stays_and_spare_units_are_removed(layers):
    c, u = layers["centres"], layers["units"]
    cov = analyse_coverage(c, u, None, None)
    request = PlanRequest(count=0, keep_unit_ids=("U1",), weight_by_risk=False)
    one = plan_units(c, u, cov, candidate_sites("centres", centres=c), request=request)
    scenario = build_scenario("keep one", units=u, unit_plan=one)
    assert scenario.counts() == {"kept": 1, "moved": 0, "added": 0, "removed": 1}
    planned = apply_scenario(u, c, scenario)
    assert set(planned["unit_id"]) == {"U1", "U3"}


def test_added_units_appear_when_no_unit_can_move(layers):
    c, u = layers["centres"], layers["units"]
    cov = analyse_coverage(c, u, None, None)
    request = PlanRequest(count=1, keep_existing=True, weight_by_risk=False)
    more = plan_units(c, u, cov, candidate_sites("centres", centres=c), request=request)
    scenario = build_scenario("more", units=u, unit_plan=more)
    assert scenario.counts()["added"] == 1
    planned = apply_scenario(u, c, scenario)
    assert (planned["unit_id"] == "NEW-patrol-0001").sum() == 1


def test_allocation_replaces_static_guards_with_posts(layers):
    c, u = layers["centres"], layers["units"]
    cov = analyse_coverage(c, u, None, None)
    staffing = allocate_officers(cov, [OfficerPool("P", 12, 3)])
    scenario = build_scenario("posts", units=u, staffing=staffing)
    planned = apply_scenario(u, c, scenario)
    posts = planned[planned["unit_type"] == "static_guard"]
    assert set(posts["assigned_centre_id"]) == {"C1", "C2", "C3"}
    assert posts["officers"].sum() == 12
    result = evaluate_scenario({"centres": c, "units": u}, scenario)
    assert result.centres["guarded"].all()


def test_comparison_lists_gains_losses_and_status_counts(layers, plan):
    c, u = layers["centres"], layers["units"]
    scenario = build_scenario("two", units=u, unit_plan=plan)
    before = evaluate_scenario(layers, None)
    after = evaluate_scenario(layers, scenario)
    comparison = compare_scenarios(before, after, centres=c, name_b="two")
    # Before: C1 full (guard + patrol), C2 and C3 gaps (patrol 2 is 20 km beyond C3).
    # After: the patrols reach more voters; nothing is lost at C1 (its guard stays).
    statuses = comparison.statuses.set_index("status")
    assert statuses["centres_a"].sum() == statuses["centres_b"].sum() == 3
    assert comparison.centres_gaining >= 1
    assert comparison.centres_losing == 0
    assert comparison.municipalities["voters_covered_change"].sum() > 0
    shown = build_comparison_map(comparison, c, units_b=scenario.units, show_units=True)
    hidden = build_comparison_map(comparison, c, units_b=scenario.units, show_units=False)
    assert "Unit changes of B" in shown.get_root().render()
    assert "Unit changes of B" not in hidden.get_root().render()


def test_maps_escape_names_from_data(layers, plan):
    c = layers["centres"].copy()
    c["name_en"] = "<script>alert(1)</script>"
    html = build_plan_map(plan, c).get_root().render()
    assert "<script>alert(1)" not in html
    assert "lt;script" in html


# -- the store ----------------------------------------------------------------------------


@pytest.fixture
def store(demo_workspace, tmp_path):
    """A private copy of the demo workspace (the shared fixture is never written)."""
    path = tmp_path / "copy.gpkg"
    shutil.copyfile(demo_workspace, path)
    return GeoPackageStore(path)


def test_every_save_is_a_new_version_and_nothing_is_overwritten(store, layers, plan):
    scenario = build_scenario("Plan A", units=layers["units"], unit_plan=plan, note="first")
    first = save_scenario(store, scenario, viewer=PLANNER)
    second = save_scenario(store, scenario, viewer=PLANNER)
    assert (first.version, second.version) == (1, 2)
    assert first.scenario_id == second.scenario_id
    history = store.scenario_history("Plan A")
    assert history["version"].tolist() == [1, 2]
    old = load_scenario(store, "Plan A", viewer=PLANNER, version=1)
    assert old.note == "first"
    assert old.author == "Amal"
    assert old.counts() == scenario.counts()
    assert isinstance(old.units, gpd.GeoDataFrame)


def test_a_save_made_on_an_older_version_is_refused_naming_who_saved_in_between(
    store, layers, plan
):
    save_scenario(store, build_scenario("A", units=layers["units"], unit_plan=plan), viewer=PLANNER)
    amal = load_scenario(store, "A", viewer=PLANNER)
    omar = load_scenario(store, "A", viewer=Viewer("Omar", "planner"))
    assert save_scenario(store, omar, viewer=Viewer("Omar", "planner")).version == 2
    with pytest.raises(
        StaleVersionError, match=r"'A' was saved as version 2 by Omar at .*version 1"
    ):
        save_scenario(store, amal, viewer=PLANNER)
    history = store.scenario_history("A")
    assert (history["version"].tolist(), history["author"].tolist()) == ([1, 2], ["Amal", "Omar"])


def test_a_delete_decided_on_an_older_version_is_refused(store, layers, plan):
    scenario = build_scenario("A", units=layers["units"], unit_plan=plan)
    save_scenario(store, scenario, viewer=PLANNER)
    save_scenario(store, scenario, viewer=Viewer("Omar", "planner"))
    with pytest.raises(StaleVersionError, match="saved as version 2 by Omar"):
        delete_scenario(store, "A", viewer=PLANNER, version=1)
    assert list(list_scenarios(store)["name"]) == ["A"]
    delete_scenario(store, "A", viewer=PLANNER, version=2)
    assert list_scenarios(store).empty


def test_list_load_duplicate_and_delete(store, layers, plan):
    save_scenario(store, build_scenario("A", units=layers["units"], unit_plan=plan), viewer=PLANNER)
    copy = duplicate_scenario(store, "A", "B", viewer=PLANNER)
    assert copy.derived_from == "A v1"
    assert set(list_scenarios(store)["name"]) == {"A", "B"}
    with pytest.raises(InputError, match="exists already"):
        duplicate_scenario(store, "A", "B", viewer=PLANNER)
    delete_scenario(store, "A", viewer=PLANNER)
    assert list(list_scenarios(store)["name"]) == ["B"]
    history = store.scenario_history("A")
    assert history["deleted"].tolist() == [False, True]
    assert history["author"].iloc[-1] == "Amal"
    with pytest.raises(LayerMissingError, match="deleted by Amal"):
        load_scenario(store, "A", viewer=PLANNER)
    assert load_scenario(store, "A", viewer=PLANNER, version=1).name == "A"


def test_saving_needs_the_plan_permission(store, layers, plan):
    scenario = build_scenario("A", units=layers["units"], unit_plan=plan)
    with pytest.raises(AccessDeniedError, match="may not plan"):
        save_scenario(store, scenario, viewer=BRIEFER)
    save_scenario(store, scenario, viewer=PLANNER)
    with pytest.raises(AccessDeniedError):
        delete_scenario(store, "A", viewer=BRIEFER)
    with pytest.raises(AccessDeniedError):
        load_scenario(store, "A", viewer=BRIEFER)
    assert store.list_scenarios()["name"].tolist() == ["A"]


def test_scenarios_leave_layers_and_their_stamp_alone(store, layers, plan):
    before = store.summary()
    save_scenario(store, build_scenario("A", units=layers["units"], unit_plan=plan), viewer=PLANNER)
    assert store.summary().equals(before)


def test_empty_name_and_nothing_to_save_are_refused(layers):
    with pytest.raises(InputError, match="name"):
        build_scenario(" ", units=layers["units"])
    with pytest.raises(InputError, match="nothing to save"):
        build_scenario("x", units=layers["units"])


def test_unknown_scenario_lists_what_exists(store):
    with pytest.raises(LayerMissingError, match="no scenario called 'nope'"):
        store.read_scenario("nope")
    assert CURRENT_DEPLOYMENT == "current deployment"


# -- text from data never becomes template source -----------------------------------------


@pytest.mark.parametrize("which", [*range(len(PAYLOADS)), "code"])
def test_plan_and_comparison_maps_carry_names_literally(which, layers, tmp_path, monkeypatch):
    payload = code_payload(tmp_path / "ran", monkeypatch) if which == "code" else PAYLOADS[which]
    centre_text, unit_text = f"centre {payload}", f"unit {payload}"
    district_text = f"district {payload}"

    def maps(c, u, district_name):
        cov = analyse_coverage(c, u, None, None)
        request = PlanRequest(count=2, weight_by_risk=False)
        plan = plan_units(c, u, cov, candidate_sites("centres", centres=c), request=request)
        scenario = build_scenario("two", units=u, unit_plan=plan)
        comparison = compare_scenarios(
            evaluate_scenario({"centres": c, "units": u}, None),
            evaluate_scenario({"centres": c, "units": u}, scenario),
            centres=c,
            name_b="two",
        )
        districts = gpd.GeoDataFrame(
            {"name_en": [district_name]}, geometry=[c.union_all().buffer(1)], crs=c.crs
        )
        return {
            "plan": build_plan_map(plan, c, districts),
            "comparison": build_comparison_map(
                comparison, c, units_b=scenario.units, show_units=True
            ),
        }

    c, u = layers["centres"].copy(), layers["units"].copy()
    plain = {k: m.get_root().render() for k, m in maps(c, u, "Tripoli").items()}
    c["name_en"] = centre_text  # every centre: the comparison draws only those that change
    u.loc[u.index[0], "unit_id"] = unit_text
    expected = {"plan": [centre_text, district_text], "comparison": [centre_text, unit_text]}
    for kind, m in maps(c, u, district_text).items():
        for path, page in renders(m, tmp_path).items():
            check_literal(page, expected[kind], plain_page=plain[kind], where=f"{kind} {path}")
    assert not (tmp_path / "ran").exists(), "a name ran as code"


def test_a_scenario_is_analysed_on_the_workspace_roads():
    """Today's patrol at (0, 0), the centre across the wadi at (3, 0): 3 km in straight line
    (reachable), 10 + 3 + 10 = 23 minutes by road (a gap), as on the Coverage page."""
    c = b.centres({"pos": b.at(3, 0)})
    u = b.units({"pos": b.at(0, 0)})
    wadi = b.roads([(0, 0), (0, 10), (3, 10), (3, 0)])
    on_roads = evaluate_scenario({"centres": c, "units": u, "roads": wadi}, None)
    assert on_roads.centres["status"].tolist() == ["gap"]
    assert on_roads.centres["reach_model"].tolist() == ["network"]
    without = evaluate_scenario({"centres": c, "units": u}, None)
    assert without.centres["status"].tolist() == ["response_only"]
