"""Template tags of the staff desk: the greeting's role and unit, the index's to-do panel."""

from django import template

from suggestions.screening.todo import campaign_todo, staff_identity

register = template.Library()


@register.simple_tag
def desk_identity(user) -> str:
    return staff_identity(user)


@register.inclusion_tag("admin/suggestions/todo.html", takes_context=True)
def desk_todo(context) -> dict:
    request = context["request"]
    return {"todo": campaign_todo(user=request.user), "request": request}
