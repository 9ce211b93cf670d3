"""OpenSCENARIO 1.x import (:func:`load_xosc`) and export (:func:`export_xosc`).

kav's storyboard (:mod:`scenarios.storyboard`) is modelled on OpenSCENARIO's, so the
mapping is mostly one to one. Import reads OpenSCENARIO 1.0-1.3; export writes 1.2, valid
against the official XSD and clean under the ASAM checker (asam-qc-openscenarioxml).

Imported subset (anything else is rejected with ``file: element path: reason``):

* FileHeader (description -> title); ParameterDeclarations at any level, ``$name`` and
  ``${expr}`` (arithmetic) in any attribute; the root's values -> ``spec.parameters``;
* RoadNetwork/LogicFile -> ``MapRef(xodr=<absolute path>)``;
* Entities: ScenarioObject with Vehicle (car/van -> car, bus, truck/trailer/semitrailer ->
  truck, motorbike -> motorcycle, bicycle -> cyclist), Pedestrian, MiscObject
  (obstacle/none -> a parked car-kind actor of its box), or a CatalogReference to one of
  those (Vehicle/Pedestrian/MiscObject catalog directories). The ego is the entity named
  ego / hero / ego_vehicle (any case);
* Init: TeleportAction (World/Lane/RelativeLanePosition) -> start; absolute step
  SpeedAction -> initial speed;
* Story/Act/ManeuverGroup/Maneuver/Event/Action(PrivateAction): SpeedAction (absolute,
  relative delta/factor), LaneChangeAction (RelativeTargetLane), LaneOffsetAction
  (AbsoluteTargetLaneOffset; see :func:`._read_story.read_lane_offset`), TeleportAction,
  RoutingAction/AcquirePositionAction;
* conditions: SimulationTime, StoryboardElementState (events; actions alone in their
  event), ReachPosition / DistanceCondition-as-reach, RelativeDistance, TimeHeadway,
  TimeToCollision (entity target), Speed; edges rising/none; one triggering entity;
* Storyboard StopTrigger -> ``spec.end``; its 'time >= t' groups -> ``duration_s`` (60 s
  when there is none).

The ego's goal: a ``kav:goal`` property ("x y") on the ego entity, else derived 300 m
ahead along its lane on the map (:mod:`._goal`). kav-only data travels as ``kav:``
properties (:mod:`._kav`): scenario fields (zone, clock, criteria, v2x, ...) in
``FileHeader/Properties``, ego and actor fields (goal, planner, shuttle, behaviour, ...) on
their entities.
"""

from scenarios.openscenario._xml import UnsupportedElement
from scenarios.openscenario.exporter import export_xosc
from scenarios.openscenario.importer import load_xosc

__all__ = ["UnsupportedElement", "export_xosc", "load_xosc"]
