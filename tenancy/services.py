"""Writes of tenancy: API clients and memberships."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field
from rest_framework.authtoken.models import Token

from assignments.models import Restaurant
from tenancy.models import Membership, Role


@transaction.atomic
def api_client_create(
    *, name: str, restaurant_slugs: Sequence[str], role: str = Role.PLATFORM
) -> tuple[object, str]:
    """A user for a booking platform, members of the given restaurants, with an API token. Returns (user, token
    key). A name already taken is refused rather than silently widened."""
    if not restaurant_slugs:
        raise ValidationError({"restaurant": "Give at least one restaurant."})
    if role not in Role.values:
        raise ValidationError({"role": f"One of {', '.join(Role.values)}."})
    slugs = list(dict.fromkeys(restaurant_slugs))
    restaurants = {r.slug: r for r in Restaurant.objects.filter(slug__in=slugs)}
    unknown = [s for s in slugs if s not in restaurants]
    if unknown:
        raise ValidationError({"restaurant": f"Unknown restaurants: {', '.join(unknown)}."})
    User = get_user_model()
    try:  # the user name's own rules (required, at most 150 characters, letters, digits and @.+-_)
        username = User._meta.get_field(User.USERNAME_FIELD)
        assert isinstance(username, Field)
        username.clean(name, None)
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from exc
    if User.objects.filter(username=name).exists():
        raise ValidationError({"name": f"A user named {name!r} exists already."})
    user = User.objects.create_user(username=name)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    for slug in slugs:
        Membership.objects.create(user=user, restaurant=restaurants[slug], role=role)
    token = Token.objects.create(user=user)
    return user, token.key


def membership_grant(*, user, restaurant: Restaurant, role: str = Role.PLATFORM) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        user=user, restaurant=restaurant, defaults={"role": role}
    )
    return membership
