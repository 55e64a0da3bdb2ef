"""The body map: coded regions on a front and a back figure, drawn as our own SVG.

Each region has a stable key (stored in `Assessment.body_map_regions`), a label and a polygon in
the 200 × 450 box of its figure. Sides are the patient's: on the front figure the patient's right
is on the viewer's left, on the back figure it is on the viewer's right. The shapes are defined
once for the viewer's left half and mirrored, so the two halves always match.

Pure data, no Django: the form, the record page, the detail page and the tests share it.
"""

from __future__ import annotations

from dataclasses import dataclass

FIGURE_WIDTH = 200
FIGURE_HEIGHT = 450

Point = tuple[float, float]


@dataclass(frozen=True)
class Region:
    key: str
    view: str  # "front" or "back"
    label: str
    points: tuple[Point, ...] = ()
    ellipse: tuple[float, float, float, float] | None = None  # cx, cy, rx, ry

    @property
    def path(self) -> str:
        """SVG path data for the region's outline."""
        if self.ellipse is not None:
            cx, cy, rx, ry = self.ellipse
            return (
                f"M{cx - rx:g} {cy:g}a{rx:g} {ry:g} 0 1 0 {2 * rx:g} 0"
                f"a{rx:g} {ry:g} 0 1 0 {-2 * rx:g} 0Z"
            )
        first, *rest = self.points
        return f"M{first[0]:g} {first[1]:g}" + "".join(f"L{x:g} {y:g}" for x, y in rest) + "Z"

    @property
    def centre(self) -> Point:
        if self.ellipse is not None:
            return self.ellipse[0], self.ellipse[1]
        xs = [x for x, _y in self.points]
        ys = [y for _x, y in self.points]
        return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


def _mirror(points: tuple[Point, ...]) -> tuple[Point, ...]:
    return tuple((FIGURE_WIDTH - x, y) for x, y in points)


# Shapes of the viewer's left half, shared by both figures.
_SHOULDER = ((50, 98), (60, 86), (78, 82), (78, 104), (64, 106), (50, 110))
_UPPER_ARM = ((50, 110), (64, 106), (62, 170), (44, 170))
_FOREARM = ((44, 172), (62, 172), (58, 236), (39, 236))
_HAND = ((39, 238), (58, 238), (58, 268), (46, 276), (36, 266))
_THIGH = ((67, 252), (99, 252), (97, 330), (72, 330))
_KNEE = ((72, 332), (97, 332), (96, 354), (73, 354))
_LEG = ((73, 356), (96, 356), (93, 420), (77, 420))
_FOOT = ((77, 422), (93, 422), (95, 442), (66, 442))
# Front torso, the viewer's left half.
_CHEST = ((78, 82), (99, 82), (99, 146), (66, 146), (66, 106), (78, 104))
_ABDOMEN_UPPER = ((66, 148), (99, 148), (99, 186), (66, 186))
_ABDOMEN_LOWER = ((66, 188), (99, 188), (99, 222), (66, 222))
# Back torso, the viewer's left half (the spine is a strip of its own in the middle).
_UPPER_BACK = ((78, 82), (93, 82), (93, 160), (66, 160), (66, 106), (78, 104))
_LOWER_BACK = ((66, 162), (93, 162), (93, 222), (66, 222))
_BUTTOCK = ((66, 224), (93, 224), (93, 250), (67, 262))

_HEAD = (100, 38, 22, 28)
_NECK = ((90, 66), (110, 66), (110, 80), (90, 80))

_LIMBS = (
    ("shoulder", "Shoulder", _SHOULDER),
    ("upper_arm", "Upper arm", _UPPER_ARM),
    ("forearm", "Forearm and elbow", _FOREARM),
    ("hand", "Hand and wrist", _HAND),
    ("thigh", "Thigh and hip", _THIGH),
    ("knee", "Knee", _KNEE),
    ("leg", "Lower leg", _LEG),
    ("foot", "Foot and ankle", _FOOT),
)
_BACK_LIMB_LABELS = {
    "shoulder": "Shoulder blade",
    "thigh": "Back of thigh",
    "knee": "Back of knee",
    "leg": "Calf",
    "foot": "Heel and ankle",
    "upper_arm": "Back of upper arm",
    "forearm": "Back of forearm and elbow",
    "hand": "Back of hand",
}


def _sided(view: str, name: str, label: str, shape: tuple[Point, ...]) -> list[Region]:
    # Front figure: the viewer's left is the patient's right. Back figure: the opposite.
    near, far = ("right", "left") if view == "front" else ("left", "right")
    return [
        Region(f"{view}_{name}_{near}", view, f"{label}, {near} ({view})", shape),
        Region(f"{view}_{name}_{far}", view, f"{label}, {far} ({view})", _mirror(shape)),
    ]


def _front() -> list[Region]:
    regions = [
        Region("front_head", "front", "Head and face (front)", ellipse=_HEAD),
        Region("front_neck", "front", "Neck and throat (front)", _NECK),
        *_sided("front", "chest", "Chest", _CHEST),
        *_sided("front", "abdomen_upper", "Upper abdomen", _ABDOMEN_UPPER),
        *_sided("front", "abdomen_lower", "Lower abdomen", _ABDOMEN_LOWER),
        Region(
            "front_pelvis",
            "front",
            "Pelvis and groin (front)",
            ((66, 224), (134, 224), (133, 250), (100, 262), (67, 250)),
        ),
    ]
    for name, label, shape in _LIMBS:
        regions += _sided("front", name, label, shape)
    return regions


def _back() -> list[Region]:
    regions = [
        Region("back_head", "back", "Back of head (back)", ellipse=_HEAD),
        Region("back_neck", "back", "Neck (back)", _NECK),
        *_sided("back", "upper_back", "Upper back", _UPPER_BACK),
        Region(
            "back_thoracic_spine",
            "back",
            "Thoracic spine (back)",
            ((94, 82), (106, 82), (106, 160), (94, 160)),
        ),
        *_sided("back", "lower_back", "Lower back", _LOWER_BACK),
        Region(
            "back_lumbar_spine",
            "back",
            "Lumbar spine (back)",
            ((94, 162), (106, 162), (106, 222), (94, 222)),
        ),
        Region(
            "back_sacrum",
            "back",
            "Sacrum and coccyx (back)",
            ((94, 224), (106, 224), (106, 256), (100, 262), (94, 256)),
        ),
        *_sided("back", "buttock", "Buttock", _BUTTOCK),
    ]
    for name, _label, shape in _LIMBS:
        regions += _sided("back", name, _BACK_LIMB_LABELS[name], shape)
    return regions


REGIONS: tuple[Region, ...] = (*_front(), *_back())
REGIONS_BY_KEY: dict[str, Region] = {region.key: region for region in REGIONS}
REGION_KEYS: frozenset[str] = frozenset(REGIONS_BY_KEY)


def region_label(key: str) -> str:
    region = REGIONS_BY_KEY.get(key)
    return region.label if region is not None else key


def regions_of(view: str) -> tuple[Region, ...]:
    return tuple(region for region in REGIONS if region.view == view)
