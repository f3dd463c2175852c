"""Distances as people read them, in their own language, never ambiguous.

"1.500 km" reads as a kilometre and a half to one reader and as fifteen hundred
to another, so a distance is never written with three decimals: metres below a
kilometre, one decimal below 100 km, whole kilometres with grouped thousands
above. Each language writes its own separators (Russian: decimal comma, a
no-break space between thousands) and its own units.
"""

from __future__ import annotations

__all__ = ["format_distance"]

# (decimal mark, thousands separator, metre, kilometre) per language.
_STYLE = {
    "en": (".", ",", "m", "km"),
    "ru": (",", "\u00a0", "м", "км"),
    "ar": (".", ",", "م", "كم"),
}


def format_distance(distance_m: float, language: str = "en") -> str:
    """A distance in metres written for a reader of ``language`` (unknown languages: English).

    Under 10 m to a tenth of a metre, under 1 km in whole metres, under 100 km to a
    tenth of a kilometre, beyond that in whole kilometres with grouped thousands.

    >>> format_distance(1500.0)
    '1.5 km'
    >>> format_distance(1_500_000.0)
    '1,500 km'
    >>> format_distance(543.226)
    '543 m'
    >>> format_distance(0.25)
    '0.2 m'
    >>> format_distance(1_500_000.0, "ru")
    '1\\xa0500 км'
    >>> format_distance(1500.0, "ru")
    '1,5 км'
    """
    decimal, group, metre, kilometre = _STYLE.get(language, _STYLE["en"])
    if round(distance_m, 1) < 10:
        number, unit = f"{distance_m:.1f}".removesuffix(".0"), metre
    elif round(distance_m) < 1000:
        number, unit = f"{distance_m:.0f}", metre
    elif round(distance_m / 1000, 1) < 100:
        number, unit = f"{distance_m / 1000:.1f}", kilometre
    else:
        number, unit = f"{distance_m / 1000:,.0f}", kilometre
    localised = number.replace(",", "\0").replace(".", decimal).replace("\0", group)
    return f"{localised} {unit}"
