"""Print pricing rules: a quote from a mesh's size at the ordered scale, with its breakdown.

Amounts are integer cents. Intermediate products are ``Decimal`` and each line of the
breakdown is rounded half-up to a cent once, so the total is the sum of its lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, Field

from core.enums import PrintTechnology
from core.errors import BuildVolumeExceeded, InvalidInput

_CENT = Decimal(1)


class PrintMaterial(BaseModel):
    """Pricing of one material on one technology."""

    technology: PrintTechnology
    material: str
    price_per_cm3_cents: Decimal = Field(gt=0, description="material price per cm³ of part volume")
    density_g_cm3: Decimal = Field(gt=0)
    startup_fee_cents: int = Field(ge=0, description="once per order line")
    min_price_per_part_cents: int = Field(ge=0)
    bbox_surcharge_per_cm3_cents: Decimal = Field(ge=0, description="machine time, per cm³ of bounding box")
    build_volume_mm: tuple[float, float, float]
    colours: tuple[str, ...] = ("white", "black", "grey")
    finishes: tuple[str, ...] = ("raw", "sanded")


def _m(tech: PrintTechnology, name: str, **kw: object) -> tuple[tuple[PrintTechnology, str], PrintMaterial]:
    return (tech, name), PrintMaterial.model_validate({"technology": tech, "material": name, **kw})


DEFAULT_MATERIALS: Mapping[tuple[PrintTechnology, str], PrintMaterial] = dict(
    [
        _m(
            PrintTechnology.FDM,
            "pla",
            price_per_cm3_cents="12",
            density_g_cm3="1.24",
            startup_fee_cents=500,
            min_price_per_part_cents=800,
            bbox_surcharge_per_cm3_cents="0.5",
            build_volume_mm=(256.0, 256.0, 256.0),
            colours=("white", "black", "grey", "red", "blue"),
        ),
        _m(
            PrintTechnology.FDM,
            "petg",
            price_per_cm3_cents="15",
            density_g_cm3="1.27",
            startup_fee_cents=500,
            min_price_per_part_cents=900,
            bbox_surcharge_per_cm3_cents="0.5",
            build_volume_mm=(256.0, 256.0, 256.0),
        ),
        _m(
            PrintTechnology.SLA,
            "standard_resin",
            price_per_cm3_cents="30",
            density_g_cm3="1.15",
            startup_fee_cents=1000,
            min_price_per_part_cents=1500,
            bbox_surcharge_per_cm3_cents="1.2",
            build_volume_mm=(145.0, 145.0, 175.0),
            finishes=("raw", "polished", "primed"),
        ),
        _m(
            PrintTechnology.SLS,
            "pa12",
            price_per_cm3_cents="45",
            density_g_cm3="1.01",
            startup_fee_cents=2000,
            min_price_per_part_cents=2500,
            bbox_surcharge_per_cm3_cents="0.8",
            build_volume_mm=(300.0, 300.0, 300.0),
            colours=("white", "black"),
            finishes=("raw", "dyed", "vapor_smoothed"),
        ),
    ]
)


class QuoteLine(BaseModel):
    label: str
    amount_cents: int


class PrintQuote(BaseModel):
    """A priced print, with every line that makes up its total."""

    technology: PrintTechnology
    material: str
    colour: str
    finish: str
    quantity: int
    target_mm: tuple[float, float, float]
    part_volume_cm3: float
    bbox_volume_cm3: float
    part_weight_g: float
    unit_price_cents: int
    lines: list[QuoteLine]
    total_cents: int
    currency: str = "usd"


def _cents(x: Decimal) -> int:
    return int(x.quantize(_CENT, rounding=ROUND_HALF_UP))


def check_build_volume(target_mm: tuple[float, float, float], build_volume_mm: tuple[float, float, float]) -> None:
    """Raise ``BuildVolumeExceeded`` unless the part fits the printer in some axis-aligned orientation."""
    if any(not (d > 0) for d in target_mm):
        raise InvalidInput(f"target dimensions must be positive, got {target_mm}", target_mm=list(target_mm))
    if any(t > b for t, b in zip(sorted(target_mm), sorted(build_volume_mm), strict=True)):
        raise BuildVolumeExceeded(
            f"a part of {target_mm[0]:g} x {target_mm[1]:g} x {target_mm[2]:g} mm does not fit the build volume "
            f"of {build_volume_mm[0]:g} x {build_volume_mm[1]:g} x {build_volume_mm[2]:g} mm",
            target_mm=list(target_mm),
            build_volume_mm=list(build_volume_mm),
        )


def quote_print(
    *,
    technology: PrintTechnology | str,
    material: str,
    colour: str,
    finish: str,
    quantity: int,
    target_mm: tuple[float, float, float],
    part_volume_mm3: float,
    materials: Mapping[tuple[PrintTechnology, str], PrintMaterial] = DEFAULT_MATERIALS,
) -> PrintQuote:
    """Price ``quantity`` parts of ``part_volume_mm3`` with bounding box ``target_mm``.

    ``part_volume_mm3`` is the mesh volume at the target scale (the caller scales the analysed
    volume by the cube of the scale factor).
    """
    try:
        tech = PrintTechnology(technology)
    except ValueError as e:
        raise InvalidInput(f"unknown print technology {technology!r}", technology=str(technology)) from e
    rule = materials.get((tech, material))
    if rule is None:
        known = sorted(m for (t, m) in materials if t == tech)
        raise InvalidInput(f"unknown material {material!r} for {tech}; known: {', '.join(known)}", material=material)
    if colour not in rule.colours:
        raise InvalidInput(f"colour {colour!r} is not offered for {material}; offered: {', '.join(rule.colours)}")
    if finish not in rule.finishes:
        raise InvalidInput(f"finish {finish!r} is not offered for {material}; offered: {', '.join(rule.finishes)}")
    if not 1 <= quantity <= 1000:
        raise InvalidInput(f"quantity must be between 1 and 1000, got {quantity}", quantity=quantity)
    if not part_volume_mm3 > 0:
        raise InvalidInput("the part has no volume (is the mesh watertight?)", part_volume_mm3=part_volume_mm3)
    check_build_volume(target_mm, rule.build_volume_mm)

    part_cm3 = Decimal(repr(part_volume_mm3)) / 1000
    x, y, z = (Decimal(repr(v)) for v in target_mm)
    bbox_cm3 = x * y * z / 1000
    material_cents = _cents(part_cm3 * rule.price_per_cm3_cents)
    machine_cents = _cents(bbox_cm3 * rule.bbox_surcharge_per_cm3_cents)
    unit = max(material_cents + machine_cents, rule.min_price_per_part_cents)
    lines = [
        QuoteLine(label=f"material ({float(part_cm3):.2f} cm³ × {quantity})", amount_cents=material_cents * quantity),
        QuoteLine(
            label=f"machine time ({float(bbox_cm3):.2f} cm³ box × {quantity})", amount_cents=machine_cents * quantity
        ),
    ]
    floor = unit - (material_cents + machine_cents)
    if floor > 0:
        lines.append(QuoteLine(label=f"minimum price per part top-up × {quantity}", amount_cents=floor * quantity))
    lines.append(QuoteLine(label="start-up fee", amount_cents=rule.startup_fee_cents))
    total = sum(line.amount_cents for line in lines)
    return PrintQuote(
        technology=tech,
        material=material,
        colour=colour,
        finish=finish,
        quantity=quantity,
        target_mm=target_mm,
        part_volume_cm3=float(part_cm3),
        bbox_volume_cm3=float(bbox_cm3),
        part_weight_g=float(part_cm3 * rule.density_g_cm3),
        unit_price_cents=unit,
        lines=lines,
        total_cents=total,
    )
