"""``{% donor_wall %}``: the donor wall, for the public pages of the books to show without
the books knowing about donors."""

from django import template

from donations.wall import wall_entries

register = template.Library()


@register.inclusion_tag("donations/_wall.html")
def donor_wall() -> dict:
    return {"wall": wall_entries()}
