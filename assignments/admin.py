"""The Django admin: the floor, bookings with their audit trail, the manual-review queue and the day's timeline.

Views and actions here stay thin: they check the permission, call one service (assignments.lifecycle,
assignments.services.*) with `Actor.staff(request.user)`, and turn its refusal into a message.
Only staff with `assignments.assign_booking` may assign, retry or cancel; everyone else may look.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from assignments import lifecycle
from assignments.lifecycle import Actor, LifecycleError
from assignments.models import (
    Booking,
    BookingAssignmentAttempt,
    BookingState,
    BookingStateHistory,
    Hold,
    OutboxEvent,
    Restaurant,
    ReviewBooking,
    Table,
    TableAdjacency,
    TableAllocation,
    TableBlock,
    Zone,
)
from assignments.selectors.heal import booking_heal_note, floor_healed_recent
from assignments.selectors.review import (
    ASSIGNABLE_STATES,
    Clash,
    booking_assign_options,
    booking_attempts_by_try,
    booking_nearest_times,
    booking_reason_now,
    booking_tables_at_time,
    review_queue,
    review_reasons,
    service_day_bounds,
    service_label,
)
from assignments.selectors.timeline import restaurant_day_timeline
from assignments.services.blocks import BlockRefused, table_block_create, table_block_remove
from assignments.services.manual import (
    ManualAssignmentError,
    booking_assign_manually,
    booking_move_tables,
    booking_seat_at_time,
    booking_seat_with_reseat,
)
from assignments.services.pipeline import booking_submit_for_assignment
from assignments.templatetags.maitre_admin import state_badge
from tenancy.admin import RestaurantScopedAdminMixin, scope_queryset
from tenancy.selectors import restaurants_for_user

ASSIGN_PERMISSION = "assignments.assign_booking"
OVERRIDE_PERMISSION = "assignments.override_seating"
WAITING_STATES = (BookingState.PENDING, BookingState.ASSIGNMENT_PENDING, BookingState.MANUAL_REVIEW)


def can_assign(user) -> bool:
    return user.is_active and user.is_staff and user.has_perm(ASSIGN_PERMISSION)


# -- the console's scope and clock --------------------------------------------------------------------
def restaurants_visible_to(user) -> QuerySet[Restaurant]:
    """The restaurants whose bookings this user sees and works in the console: the one place the console asks
    (tenancy's rule: the user's memberships; every restaurant for a superuser)."""
    if not (user.is_active and user.is_staff):
        return Restaurant.objects.none()
    return restaurants_for_user(user)


def console_now() -> datetime:
    """What "now" is for the console (tonight's services, the now line, the nearest times)."""
    return timezone.now()


def clash_html(clashes: list[Clash]):
    """Clashes as text with each booking's reference linked to its page."""
    parts = []
    for c in clashes:
        if c.kind == "booking":
            url = reverse("admin:assignments_booking_change", args=[c.pk])
            parts.append(format_html('{} is taken by <a href="{}">{}</a>', c.table, url, c.label))
        else:
            parts.append(format_html("{}", c.text))
    return mark_safe("; ".join(str(p) for p in parts))


def refusal_html(exc: Exception):
    """A refusal for a message: the clashes linked when the service named them, else its text."""
    clashes = getattr(exc, "clashes", None)
    if clashes:
        head = str(exc).split(":", 1)[0]
        return format_html("{}: {}.", head, clash_html(clashes))
    return str(exc)


def local_time(booking: Booking) -> str:
    tz = booking.restaurant.tzinfo
    return f"{booking.start_at.astimezone(tz):%a %d %b %H:%M}–{booking.end_at.astimezone(tz):%H:%M}"


class NoWritesMixin:
    """Visible, never added, edited or deleted from the admin (audit rows)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(NoWritesMixin, admin.ModelAdmin):
    """Audit rows: visible, never added, edited or deleted from the admin."""


class ReadOnlyInline(NoWritesMixin, admin.TabularInline):
    """Shown to whoever may see the booking; never editable."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("assignments.view_booking") or request.user.has_perm(
            "assignments.view_reviewbooking"
        )


class HistoryInline(ReadOnlyInline):
    model = BookingStateHistory
    verbose_name_plural = "state history"
    fields = ("version", "from_badge", "to_badge", "transition", "actor_label", "details", "created_at")
    ordering = ("version",)

    @admin.display(description="from")
    def from_badge(self, obj):
        return state_badge(obj.from_state) if obj.from_state else "—"

    @admin.display(description="to")
    def to_badge(self, obj):
        return state_badge(obj.to_state)

    @admin.display(description="details")
    def details(self, obj):
        meta = dict(obj.metadata or {})
        healed = meta.pop("healed", "")
        meta.pop("cause", None)
        rest = ", ".join(f"{k}: {v}" for k, v in meta.items())
        if healed:  # seated by the floor's self-healing: say so first
            return format_html('<strong class="maitre-healed">{}</strong>{}', healed, f"; {rest}" if rest else "")
        return rest or "—"


class AllocationInline(ReadOnlyInline):
    model = TableAllocation
    fk_name = "booking"
    verbose_name_plural = "allocations"
    fields = ("table", "start_at", "end_at", "created_at")


# -- forms --------------------------------------------------------------------------------------------
class ManualAssignForm(forms.Form):
    """Either one of the engine's plans, or a free choice of tables; `version` refuses a stale page."""

    plan = forms.CharField(required=False)  # a plan taken meanwhile still reaches the service, which names the clash
    tables = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    override = forms.BooleanField(required=False)  # seat on tables that break a soft rule (a separate permission)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, plans=(), tables=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tables"].choices = [(t.label, t.label) for t in tables]

    def clean(self):
        data = super().clean()
        plan, tables = data.get("plan"), data.get("tables") or []
        if plan and tables:
            raise forms.ValidationError("Choose either one of the engine's plans or your own tables, not both.")
        if not plan and not tables:
            raise forms.ValidationError("Choose one of the engine's plans or tick the tables yourself.")
        data["table_labels"] = plan.split(",") if plan else list(tables)
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(required=False, max_length=200, initial="cancelled by staff")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


# -- bookings -----------------------------------------------------------------------------------------
class BookingAdmin(RestaurantScopedAdminMixin, admin.ModelAdmin):
    """Bookings are created and changed through the API and services; here they are read, and moved along
    only through the lifecycle (assign, retry, cancel)."""

    list_display = (
        "booking_ref", "state_col", "restaurant", "party_size", "when", "preferences", "tables_col", "version",
        "assignment_strategy",
    )
    list_display_links = ("booking_ref",)
    list_filter = ("state", "restaurant", "needs_accessible", "assignment_strategy")
    search_fields = ("external_ref", "guest_name", "guest_email", "last_correlation_id", "=id")
    date_hierarchy = "start_at"
    list_select_related = ("restaurant", "preferred_zone")
    list_per_page = 50
    inlines = [AllocationInline, HistoryInline]  # attempts: grouped by try in the template, collapsed
    change_form_template = "admin/assignments/booking/change_form.html"
    fieldsets = (
        (None, {"fields": ("state_col", "restaurant", "external_ref", "guest_name", "guest_email", "notes")}),
        ("Request", {"fields": ("party_size", "when", "preferences", "arrival")}),
        (
            "Assignment",
            {"fields": ("tables_col", "version", "assignment_attempts", "assigned_at", "assignment_strategy",
                        "last_correlation_id", "created_at", "updated_at")},
        ),
    )
    readonly_fields = (
        "state_col", "restaurant", "external_ref", "party_size", "when", "preferences", "arrival", "tables_col",
        "version", "assignment_attempts", "assigned_at", "assignment_strategy", "last_correlation_id", "created_at",
        "updated_at",
    )
    actions = ["retry_selected", "cancel_selected"]
    url_prefix = "booking"

    # ---- columns
    @admin.display(description="booking", ordering="id")
    def booking_ref(self, obj):
        name = f" · {obj.guest_name}" if obj.guest_name else ""
        return f"{obj.external_ref or f'#{obj.pk}'}{name}"

    @admin.display(description="state", ordering="state")
    def state_col(self, obj):
        return state_badge(obj.state)

    @admin.display(description="time", ordering="start_at")
    def when(self, obj):
        return local_time(obj)

    @admin.display(description="preferences")
    def preferences(self, obj):
        parts = []
        if obj.preferred_zone_id:
            parts.append(f"zone: {obj.preferred_zone.name}")
        if obj.needs_accessible:
            parts.append("♿ accessible")
        return " · ".join(parts) or "—"

    @admin.display(description="tables")
    def tables_col(self, obj):
        labels = sorted(a.table.label for a in obj.allocations.all())
        return ", ".join(labels) or "—"

    def get_queryset(self, request):
        return (super().get_queryset(request).filter(restaurant__in=restaurants_visible_to(request.user))
                .prefetch_related("allocations__table"))

    # ---- permissions: bookings come from the API; changes go through the lifecycle
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_assign_permission(self, request):
        return can_assign(request.user)

    def save_model(self, request, obj, form, change):
        """Write only what the form edits: a full save() would write back a state and version that the
        lifecycle may have moved meanwhile."""
        fields = [f for f in form.changed_data if f in ("guest_name", "guest_email", "notes")]
        if fields:
            obj.save(update_fields=[*fields, "updated_at"])

    # ---- urls
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/assign/", wrap(self.assign_view), name=f"{info[0]}_{info[1]}_assign"),
            path("<path:object_id>/retry/", wrap(self.retry_view), name=f"{info[0]}_{info[1]}_retry"),
            path("<path:object_id>/cancel/", wrap(self.cancel_view), name=f"{info[0]}_{info[1]}_cancel"),
        ] + super().get_urls()

    def _url(self, name: str, obj) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}", args=[obj.pk])

    def _after_url(self, obj) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])

    def _get_booking(self, request, object_id) -> Booking:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(
            Booking.objects.select_related("restaurant", "preferred_zone").filter(
                restaurant__in=restaurants_visible_to(request.user)
            ),
            pk=object_id,
        )

    def _require_assign(self, request):
        if not self.has_assign_permission(request):
            raise PermissionDenied("You may look, but assigning, retrying and cancelling needs the "
                                   "'assign bookings' permission.")

    # ---- the detail page
    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        booking = (Booking.objects.filter(pk=object_id, restaurant__in=restaurants_visible_to(request.user))
                   .select_related("restaurant", "preferred_zone").first())
        if booking is None:  # unknown, or another restaurant's: the admin's own "does not exist" answer
            return super().change_view(request, object_id, form_url, extra_context=extra)
        extra.update(self._booking_tools(request, booking))
        extra["attempt_tries"] = booking_attempts_by_try(booking=booking)
        extra["healed_note"] = booking_heal_note(booking=booking)
        if booking.state in WAITING_STATES:
            from assignments.context import assignment_context

            extra["reason_now"] = booking_reason_now(ctx=assignment_context(booking_id=booking.pk))
        response = super().change_view(request, object_id, form_url, extra_context=extra)
        with timezone.override(booking.restaurant.tzinfo):  # every time on the page in the restaurant's zone
            return response.render() if hasattr(response, "render") else response

    def _booking_tools(self, request, booking: Booking) -> dict:
        day = booking.restaurant.service_day_of(booking.start_at)
        timeline_url = (
            reverse("admin:assignments_restaurant_timeline", args=[booking.restaurant_id])
            + f"?date={day.isoformat()}&booking={booking.pk}"
        )
        tools = {
            "booking": booking,
            "timeline_url": timeline_url,
            "can_assign": self.has_assign_permission(request),
            "assignable": booking.state in ASSIGNABLE_STATES,
            "retryable": booking.state in (BookingState.MANUAL_REVIEW, BookingState.ASSIGNMENT_PENDING,
                                           BookingState.PENDING),
            "cancellable": booking.state in WAITING_STATES + (BookingState.CONFIRMED,),
            "assign_url": self._url("assign", booking),
            "retry_url": self._url("retry", booking),
            "cancel_url": self._url("cancel", booking),
        }
        if booking.state in WAITING_STATES:
            tools["tables_at_time"] = booking_tables_at_time(booking_id=booking.pk)
        return tools

    # ---- manual assignment and the one-click fixes
    def _changelist_url(self) -> str:
        """After a fix, back to the queue: the next booking that needs a person."""
        return reverse("admin:assignments_reviewbooking_changelist")

    def assign_view(self, request, object_id):
        booking = self._get_booking(request, object_id)
        self._require_assign(request)
        if booking.state not in ASSIGNABLE_STATES:
            self.message_user(
                request, f"Booking {booking} is '{booking.get_state_display()}': nothing to assign.", messages.WARNING
            )
            return HttpResponseRedirect(self._after_url(booking))
        if request.method == "POST" and "_time" in request.POST:
            return self._seat_at_time(request, booking)
        if request.method == "POST" and "_reseat" in request.POST:
            return self._seat_with_reseat(request, booking)
        options = booking_assign_options(booking_id=booking.pk)
        form_kwargs = {"plans": options.plans, "tables": options.tables}
        if request.method == "POST":
            form = ManualAssignForm(request.POST, **form_kwargs)
            if form.is_valid() and form.cleaned_data["override"] and not request.user.has_perm(OVERRIDE_PERMISSION):
                raise PermissionDenied("Seating on tables that break a rule needs the 'override seating' permission.")
            if form.is_valid():
                try:
                    booking_assign_manually(
                        booking=booking, table_labels=form.cleaned_data["table_labels"],
                        actor=Actor.staff(request.user), expected_version=form.cleaned_data["version"],
                        override=form.cleaned_data["override"],
                    )
                except ManualAssignmentError as exc:
                    self.message_user(request, refusal_html(exc), messages.ERROR)
                    booking.refresh_from_db()
                    options = booking_assign_options(booking_id=booking.pk)
                    form_kwargs = {"plans": options.plans, "tables": options.tables}
                    form = ManualAssignForm(initial={"version": booking.version}, **form_kwargs)
                else:
                    self.message_user(
                        request, f"Booking {booking} confirmed at {', '.join(sorted(form.cleaned_data['table_labels']))}.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(self._changelist_url())
        else:
            form = ManualAssignForm(initial={"version": booking.version}, **form_kwargs)
        ctx = options.context
        tz = ctx.restaurant.tzinfo
        chosen = set(form.data.getlist("tables")) if form.is_bound else set()
        reseat = None
        if request.GET.get("reseat") and not options.plans:
            reseat = self._reseat_proposal(booking)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Assign {booking} by hand",
            "booking": booking,
            "form": form,
            "plans": [
                {"rank": i + 1, "plan": p, "value": ",".join(p.tables), "zone": ctx.floor.table_by_id[p.tables[0]].zone,
                 "covers": sum(ctx.floor.table_by_id[t].max_covers for t in p.tables),
                 "breakdown": [(k, v) for k, v in p.breakdown.items() if v]}
                for i, p in enumerate(options.plans)
            ],
            "reason_now": "" if options.plans else booking_reason_now(ctx=ctx),
            "nearest": [
                {"label": o.label(tz), "start": o.start_at.isoformat(), "tables": ",".join(o.tables),
                 "delta": o.delta_minutes}
                for o in (() if options.plans else booking_nearest_times(ctx=ctx, now=console_now()))
            ],
            "reseat": reseat,
            "tables": options.tables,
            "chosen": chosen,
            "can_override": request.user.has_perm(OVERRIDE_PERMISSION),
            "window": f"{ctx.window[0].astimezone(tz):%H:%M}–{ctx.window[1].astimezone(tz):%H:%M}",
            "when": local_time(booking),
            "max_combination_tables": ctx.restaurant.max_combination_tables,
            **self._booking_tools(request, booking),
        }
        return TemplateResponse(request, "admin/assignments/booking/assign.html", context)

    def _reseat_proposal(self, booking: Booking) -> dict:
        """The optimizer's fewest moves that seat this booking, as the host will read them (no writes)."""
        from optimization.services import reseat_compute

        plan = reseat_compute(booking=booking, now=console_now())
        if plan is None:
            return {"found": False}
        refs = {str(b.pk): b for b in Booking.objects.filter(pk__in=[int(k) for k in plan.moves])}
        moves = [
            {"booking": refs[bid], "from": "+".join(old), "to": "+".join(new)}
            for bid, (old, new) in sorted(plan.moves.items(), key=lambda kv: refs[kv[0]].start_at)
        ]
        text = ", ".join(f"move {m['booking'].external_ref or '#' + str(m['booking'].pk)} from {m['from']} to {m['to']}"
                         for m in moves)
        return {
            "found": True, "moves": moves, "tables": "+".join(plan.tables),
            "text": f"{text}, then seat here at {'+'.join(plan.tables)}" if moves else
                    f"seat here at {'+'.join(plan.tables)}",
            "signature": json.dumps({bid: list(new) for bid, (_old, new) in plan.moves.items()}, sort_keys=True),
        }

    def _seat_at_time(self, request, booking: Booking):
        """The guest agreed to another time: change it (the modification path) and seat, or say why not."""
        try:
            start_at = datetime.fromisoformat(request.POST["start"])
            tables = [t for t in request.POST.get("tables", "").split(",") if t]
            version = int(request.POST["version"])
        except (KeyError, ValueError):
            self.message_user(request, "That time choice was malformed; pick one of the offered times.", messages.ERROR)
            return HttpResponseRedirect(self._url("assign", booking))
        try:
            booking_seat_at_time(booking=booking, start_at=start_at, table_labels=tables,
                                 actor=Actor.staff(request.user), expected_version=version)
        except (ManualAssignmentError, LifecycleError) as exc:
            self.message_user(request, refusal_html(exc), messages.ERROR)
            return HttpResponseRedirect(self._url("assign", booking))
        booking.refresh_from_db()
        self.message_user(request, f"Booking {booking} moved to {local_time(booking)} and confirmed at "
                                   f"{', '.join(tables)}. Tell the guest the new time.", messages.SUCCESS)
        return HttpResponseRedirect(self._changelist_url())

    def _seat_with_reseat(self, request, booking: Booking):
        try:
            expected = {k: tuple(v) for k, v in json.loads(request.POST["moves"]).items()}
            version = int(request.POST["version"])
        except (KeyError, ValueError, AttributeError, TypeError):
            self.message_user(request, "That proposal was malformed; ask for a new one.", messages.ERROR)
            return HttpResponseRedirect(self._url("assign", booking))
        try:
            seated, moves = booking_seat_with_reseat(booking=booking, expected_moves=expected,
                                                     actor=Actor.staff(request.user), expected_version=version,
                                                     now=console_now())
        except (ManualAssignmentError, LifecycleError) as exc:
            self.message_user(request, refusal_html(exc), messages.ERROR)
            return HttpResponseRedirect(self._url("assign", booking) + "?reseat=1")
        tables = sorted(TableAllocation.objects.filter(booking=seated).values_list("table__label", flat=True))
        self.message_user(request, f"Booking {seated} confirmed at {', '.join(tables)} after moving {len(moves)} "
                                   f"other booking(s).", messages.SUCCESS)
        return HttpResponseRedirect(self._changelist_url())

    # ---- retry / cancel, one booking
    def _retry(self, request, booking: Booking, version: int | None) -> tuple[str, str]:
        """Send the booking back to automatic assignment and say what happened to it: (level, text)."""
        from assignments.context import assignment_context

        before = booking_reason_now(ctx=assignment_context(booking_id=booking.pk))
        try:
            booking_submit_for_assignment(booking=booking, trigger="retry", actor=Actor.staff(request.user),
                                          expected_version=version)
        except LifecycleError as exc:
            return messages.ERROR, f"{booking}: not retried: {exc}."
        booking.refresh_from_db()
        if booking.state == BookingState.CONFIRMED:
            tables = ", ".join(sorted(booking.allocations.values_list("table__label", flat=True)))
            return messages.SUCCESS, f"{booking}: retried and confirmed at {tables}."
        if booking.state == BookingState.MANUAL_REVIEW:
            return messages.WARNING, f"{booking}: retried, and back in review at once: {before}."
        if before.startswith("a plan is free now"):
            return messages.SUCCESS, f"{booking}: sent to automatic assignment ({before}); it is seated within seconds."
        return messages.WARNING, (f"{booking}: sent to automatic assignment, but the engine has no plan now "
                                  f"({before}): it will come back to review unless the floor changes.")

    def retry_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        booking = self._get_booking(request, object_id)
        self._require_assign(request)
        version = request.POST.get("version")
        level, text = self._retry(request, booking, int(version) if version and version.isdigit() else None)
        self.message_user(request, text, level)
        if level == messages.ERROR:
            return HttpResponseRedirect(self._after_url(booking))
        return HttpResponseRedirect(self._changelist_url())

    def cancel_view(self, request, object_id):
        booking = self._get_booking(request, object_id)
        self._require_assign(request)
        form = CancelForm(request.POST or None, initial={"version": booking.version})
        if request.method == "POST" and form.is_valid():
            try:
                lifecycle.booking_cancel(
                    booking=booking, reason=form.cleaned_data["reason"] or "cancelled by staff",
                    expected_version=form.cleaned_data["version"], actor=Actor.staff(request.user),
                )
            except LifecycleError as exc:
                self.message_user(request, f"Not cancelled: {exc}.", messages.ERROR)
            else:
                self.message_user(request, f"Booking {booking} cancelled; its tables are free again.", messages.SUCCESS)
            return HttpResponseRedirect(self._after_url(booking))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Cancel {booking}?",
            "bookings": [booking],
            "form": form,
            "single": True,
        }
        return TemplateResponse(request, "admin/assignments/booking/cancel_confirm.html", context)

    # ---- bulk actions
    @admin.action(description="Retry automatic assignment for the selected bookings", permissions=["assign"])
    def retry_selected(self, request, queryset):
        """One message per booking: what happened to it (confirmed, back in review, queued, refused)."""
        bookings = Booking.objects.filter(pk__in=queryset.values("pk")).select_related("restaurant")
        for booking in bookings.order_by("start_at", "id"):
            level, text = self._retry(request, booking, None)
            self.message_user(request, text, level)

    @admin.action(description="Cancel the selected bookings…", permissions=["assign"])
    def cancel_selected(self, request, queryset):
        bookings = list(scope_queryset(Booking.objects.filter(pk__in=queryset.values("pk")), request.user)
                        .select_related("restaurant"))
        if request.POST.get("confirm") == "yes":
            form = CancelForm(request.POST)
            reason = (form.cleaned_data["reason"] if form.is_valid() else "") or "cancelled by staff"
            actor = Actor.staff(request.user)
            for booking in bookings:  # one message per booking: what happened to it
                try:
                    lifecycle.booking_cancel(booking=booking, reason=reason, actor=actor)
                except LifecycleError as exc:
                    self.message_user(request, f"{booking}: not cancelled: {exc}.", messages.ERROR)
                else:
                    self.message_user(request, f"{booking}: cancelled; its tables are free again.", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Cancel these bookings?",
            "bookings": bookings,
            "form": CancelForm(),
            "single": False,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/assignments/booking/cancel_confirm.html", context)


admin.site.register(Booking, BookingAdmin)


class ServiceDayFilter(admin.SimpleListFilter):
    """Which services: the coming ones by default (tonight and the next six days), never last January's."""

    title = "service"
    parameter_name = "when"
    DEFAULT = "coming"
    SPANS = {"today": (0, 1), "tomorrow": (1, 1), "coming": (0, 7), "past": (-365, 365)}

    def lookups(self, request, model_admin):
        return [("coming", "Tonight and the next 6 days"), ("today", "Tonight"), ("tomorrow", "Tomorrow"),
                ("past", "Past services (missed)"), ("all", "Any day")]

    def value(self):
        return super().value() or self.DEFAULT

    def choices(self, changelist):
        for key, title in self.lookup_choices:
            yield {"selected": self.value() == key, "query_string": changelist.get_query_string({self.parameter_name: key}),
                   "display": title}

    def queryset(self, request, queryset):
        value = self.value()
        if value == "all":
            return queryset
        now = console_now()
        scope = Q()
        for restaurant in restaurants_visible_to(request.user):
            today = restaurant.service_day_of(now)
            if value == "past":
                start, _ = service_day_bounds(restaurant=restaurant, first=today, days=1)
                scope |= Q(restaurant=restaurant, start_at__lt=start)
                continue
            offset, days = self.SPANS.get(value, self.SPANS[self.DEFAULT])
            start, end = service_day_bounds(restaurant=restaurant, first=today + timedelta(days=offset), days=days)
            scope |= Q(restaurant=restaurant, start_at__gte=start, start_at__lt=end)
        return queryset.filter(scope) if scope else queryset.none()


class QueueStateFilter(admin.SimpleListFilter):
    """Only the states a booking in the queue can be in, each with its count."""

    title = "why"
    parameter_name = "state"
    LABELS = {BookingState.MANUAL_REVIEW: "Sent to review", BookingState.ASSIGNMENT_PENDING: "Stuck waiting"}

    def lookups(self, request, model_admin):
        qs = model_admin.get_queryset(request)
        counts = {state: qs.filter(state=state).count() for state in self.LABELS}
        return [(state, f"{label} ({counts[state]})") for state, label in self.LABELS.items() if counts[state]]

    def queryset(self, request, queryset):
        return queryset.filter(state=self.value()) if self.value() else queryset


class RestaurantScopeFilter(admin.SimpleListFilter):
    """Offered only when the user sees more than one restaurant."""

    title = "restaurant"
    parameter_name = "restaurant"

    def lookups(self, request, model_admin):
        restaurants = list(restaurants_visible_to(request.user))
        return [(str(r.pk), r.name) for r in restaurants] if len(restaurants) > 1 else []

    def queryset(self, request, queryset):
        return queryset.filter(restaurant_id=self.value()) if self.value() and self.value().isdigit() else queryset


@admin.register(ReviewBooking)
class ReviewQueueAdmin(BookingAdmin):
    """Bookings a person must decide (manual_review, or stuck in assignment_pending), grouped by service, soonest
    first; one compact line each, so a laptop shows a dozen with their actions."""

    list_display = ("booking_ref", "party", "when", "needs", "reason", "waiting_since", "row_actions")
    list_display_links = None
    list_filter = (ServiceDayFilter, QueueStateFilter, RestaurantScopeFilter, "needs_accessible")
    date_hierarchy = None
    list_per_page = 100
    change_list_template = "admin/assignments/reviewbooking/change_list.html"

    def get_list_display(self, request):
        if restaurants_visible_to(request.user).count() > 1:
            return ("booking_ref", "restaurant", *self.list_display[1:])
        return self.list_display

    def get_queryset(self, request):
        return review_queue(qs=Booking.objects.filter(restaurant__in=restaurants_visible_to(request.user)))

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("assignments.view_booking") or super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return False  # the queue is worked through its actions, never by editing rows

    def get_object(self, request, object_id, from_field=None):
        return (Booking.objects.filter(pk=object_id, restaurant__in=restaurants_visible_to(request.user))
                .select_related("restaurant", "preferred_zone").first())

    @admin.display(description="booking", ordering="id")
    def booking_ref(self, obj):
        url = reverse("admin:assignments_booking_change", args=[obj.pk])
        name = obj.guest_name or ""
        return format_html('<a href="{}" class="maitre-ref">{}</a> <span class="maitre-guest">{}</span>', url,
                           obj.external_ref or f"#{obj.pk}", name)

    @admin.display(description="party", ordering="party_size")
    def party(self, obj):
        return obj.party_size

    @admin.display(description="time", ordering="start_at")
    def when(self, obj):
        tz = obj.restaurant.tzinfo
        return f"{obj.start_at.astimezone(tz):%H:%M}–{obj.end_at.astimezone(tz):%H:%M}"

    @admin.display(description="needs")
    def needs(self, obj):
        parts = []
        if obj.needs_accessible:
            parts.append("♿")
        if obj.preferred_zone_id:
            parts.append(obj.preferred_zone.name)
        return " ".join(parts) or "—"

    @admin.display(description="why it is here")
    def reason(self, obj):
        if obj.state == BookingState.ASSIGNMENT_PENDING:
            text = "stuck waiting for the assigner"
        else:
            text = getattr(obj, "live_reason", "") or obj.review_reason or "—"
        return format_html('<span class="maitre-reason" title="{}">{}</span>', text, text)

    @admin.display(description="waiting")
    def waiting_since(self, obj):
        if not obj.state_since:
            return "—"
        minutes = int((timezone.now() - obj.state_since).total_seconds() // 60)
        return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"

    @admin.display(description="")
    def row_actions(self, obj):
        day = obj.restaurant.service_day_of(obj.start_at)
        timeline = (reverse("admin:assignments_restaurant_timeline", args=[obj.restaurant_id])
                    + f"?date={day.isoformat()}&booking={obj.pk}")
        return format_html(
            '<a class="button maitre-assign" href="{}">Assign…</a> <a class="button maitre-timeline" href="{}">Timeline</a>',
            self._url("assign", obj), timeline,
        )

    def changelist_view(self, request, extra_context=None):
        extra = {"title": "Review queue"}
        extra.update(extra_context or {})
        response = super().changelist_view(request, extra_context=extra)
        cl = getattr(response, "context_data", {}).get("cl") if hasattr(response, "context_data") else None
        if cl is None:
            return response
        rows = list(cl.result_list)
        reasons = review_reasons(bookings=[b for b in rows if b.state == BookingState.MANUAL_REVIEW])
        many = restaurants_visible_to(request.user).count() > 1
        for b in rows:
            b.live_reason = reasons.get(b.pk, "")
            key, label = service_label(b)
            b.service_key, b.service_name = key, (f"{b.restaurant.name} · {label}" if many else label)
        counts: dict[tuple, list] = {}
        for b in Booking.objects.filter(pk__in=cl.queryset.values("pk")).select_related("restaurant"):
            key, label = service_label(b)
            entry = counts.setdefault(key, [f"{b.restaurant.name} · {label}" if many else label, 0])
            entry[1] += 1
        response.context_data["service_counts"] = [v for _k, v in sorted(counts.items())]
        response.context_data["group_columns"] = len(self.get_list_display(request)) + 1
        response.context_data["healed_recent"] = floor_healed_recent(restaurants=restaurants_visible_to(request.user))
        return response


# -- the floor ----------------------------------------------------------------------------------------
class ZoneInline(admin.TabularInline):
    model = Zone
    extra = 0


@admin.register(Restaurant)
class RestaurantAdmin(RestaurantScopedAdminMixin, admin.ModelAdmin):
    restaurant_field = ""
    list_display = ("name", "slug", "timezone", "slot_minutes", "buffer_minutes", "max_combination_tables",
                    "floor_version", "timeline_link")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ZoneInline]
    change_form_template = "admin/assignments/restaurant/change_form.html"

    @admin.display(description="timeline")
    def timeline_link(self, obj):
        return format_html('<a href="{}">today’s timeline</a>',
                           reverse("admin:assignments_restaurant_timeline", args=[obj.pk]))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/timeline/", wrap(self.timeline_view), name="assignments_restaurant_timeline"),
            path("<path:object_id>/timeline/seat/", wrap(self.timeline_seat_view),
                 name="assignments_restaurant_timeline_seat"),
            path("<path:object_id>/timeline/block/", wrap(self.timeline_block_view),
                 name="assignments_restaurant_timeline_block"),
            path("<path:object_id>/timeline/unblock/", wrap(self.timeline_unblock_view),
                 name="assignments_restaurant_timeline_unblock"),
        ] + super().get_urls()

    def _timeline_restaurant(self, request, object_id) -> Restaurant:
        if not (self.has_view_permission(request) or request.user.has_perm("assignments.view_booking")):
            raise PermissionDenied
        return get_object_or_404(restaurants_visible_to(request.user), pk=object_id)

    def _timeline_url(self, restaurant: Restaurant, request) -> str:
        url = reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk])
        params = {k: request.POST.get(k) for k in ("date", "span") if request.POST.get(k)}
        return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")

    def _require_assign(self, request):
        if not can_assign(request.user):
            raise PermissionDenied("Moving, seating and blocking needs the 'assign bookings' permission.")

    def timeline_view(self, request, object_id):
        restaurant = self._timeline_restaurant(request, object_id)
        try:
            day = date.fromisoformat(request.GET["date"]) if request.GET.get("date") else None
        except ValueError:
            self.message_user(request, "Dates look like 2026-12-05; showing today.", messages.WARNING)
            day = None
        now = console_now()
        day = day or restaurant.service_day_of(now)
        focus = request.GET.get("booking")
        whole_day = request.GET.get("span") == "day"
        timeline = restaurant_day_timeline(
            restaurant=restaurant, day=day, focus_booking_id=int(focus) if focus and focus.isdigit() else None,
            now_line=now, whole_day=whole_day, all_waiting=request.GET.get("waiting") == "all",
        )
        base = reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk])
        span = "&span=day" if whole_day else ""
        layout = timeline.layout
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{restaurant.name}: {day:%A %d %B %Y}",
            "restaurant": restaurant,
            "timeline": timeline,
            "layout": layout,
            "grid_width": layout.width - layout.label_width,
            "body_height": layout.height - layout.header_height,
            "day": day,
            "whole_day": whole_day,
            "zoom_url": f"{base}?date={day.isoformat()}" + ("" if whole_day else "&span=day"),
            "all_waiting_url": f"{base}?date={day.isoformat()}{span}&waiting=all" + (f"&booking={focus}" if focus else ""),
            "prev_url": f"{base}?date={date.fromordinal(day.toordinal() - 1).isoformat()}{span}",
            "next_url": f"{base}?date={date.fromordinal(day.toordinal() + 1).isoformat()}{span}",
            "states": list(layout.states),
            "table_labels": [r.label for r in layout.rows if r.label],
            "can_assign": can_assign(request.user),
            "seat_url": reverse("admin:assignments_restaurant_timeline_seat", args=[restaurant.pk]),
            "block_url": reverse("admin:assignments_restaurant_timeline_block", args=[restaurant.pk]),
            "unblock_url": reverse("admin:assignments_restaurant_timeline_unblock", args=[restaurant.pk]),
        }
        return TemplateResponse(request, "admin/assignments/restaurant/timeline.html", context)

    def timeline_seat_view(self, request, object_id):
        """Seat a waiting booking at a table, or move a confirmed one there: picked on the timeline."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        restaurant = self._timeline_restaurant(request, object_id)
        self._require_assign(request)
        back = self._timeline_url(restaurant, request)
        booking = Booking.objects.filter(pk=request.POST.get("booking") or 0, restaurant=restaurant).first()
        table = (request.POST.get("table") or "").strip()
        version = request.POST.get("version") or ""
        if booking is None or not table or not version.isdigit():
            self.message_user(request, "Pick a booking, then a table row.", messages.ERROR)
            return HttpResponseRedirect(back)
        actor = Actor.staff(request.user)
        try:
            if booking.state == BookingState.CONFIRMED:
                booking_move_tables(booking=booking, table_labels=[table], actor=actor, expected_version=int(version))
                done = f"Booking {booking} moved to {table}."
            else:
                booking_assign_manually(booking=booking, table_labels=[table], actor=actor,
                                        expected_version=int(version))
                done = f"Booking {booking} confirmed at {table}."
        except ManualAssignmentError as exc:
            self.message_user(request, refusal_html(exc), messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(back)

    def timeline_block_view(self, request, object_id):
        """Block a table for a time range of the shown day (a private event, a broken chair)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        restaurant = self._timeline_restaurant(request, object_id)
        self._require_assign(request)
        back = self._timeline_url(restaurant, request)
        try:
            day = date.fromisoformat(request.POST.get("date", ""))
            start_t = datetime.strptime(request.POST.get("start", ""), "%H:%M").time()
            end_t = datetime.strptime(request.POST.get("end", ""), "%H:%M").time()
        except ValueError:
            self.message_user(request, "Give the block a start and an end like 18:00 and 23:00.", messages.ERROR)
            return HttpResponseRedirect(back)
        start_at = datetime.combine(day, start_t, tzinfo=restaurant.tzinfo)
        end_at = datetime.combine(day, end_t, tzinfo=restaurant.tzinfo)
        if end_at <= start_at:
            end_at += timedelta(days=1)  # an end at or before the start runs past midnight
        try:
            block = table_block_create(restaurant=restaurant, table_labels=request.POST.getlist("table"),
                                       start_at=start_at, end_at=end_at, reason=request.POST.get("reason", ""),
                                       user=request.user)
        except BlockRefused as exc:
            self.message_user(request, refusal_html(exc), messages.ERROR)
        else:
            tables = ", ".join(sorted(block.allocations.values_list("table__label", flat=True)))
            self.message_user(request, f"{tables} blocked {start_t:%H:%M}–{end_t:%H:%M}: {block.reason}. The engine "
                                       f"and availability leave it alone.", messages.SUCCESS)
        return HttpResponseRedirect(back)

    def timeline_unblock_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        restaurant = self._timeline_restaurant(request, object_id)
        self._require_assign(request)
        block = TableBlock.objects.filter(pk=request.POST.get("block") or 0, restaurant=restaurant).first()
        if block is None:
            self.message_user(request, "That block is gone already.", messages.WARNING)
        else:
            table_block_remove(block=block)
            self.message_user(request, f"Block removed ({block.reason}); the table is free again.", messages.SUCCESS)
        return HttpResponseRedirect(self._timeline_url(restaurant, request))


@admin.register(TableBlock)
class TableBlockAdmin(ReadOnlyAdmin):
    """Blocks are made and removed from the timeline; listed here for the record."""

    list_display = ("id", "restaurant", "reason", "start_at", "end_at", "created_by", "created_at")
    list_filter = ("restaurant",)
    list_select_related = ("restaurant", "created_by")


@admin.register(Zone)
class ZoneAdmin(RestaurantScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "key", "restaurant", "priority")
    list_filter = ("restaurant",)
    search_fields = ("name", "key")


@admin.register(Table)
class TableAdmin(RestaurantScopedAdminMixin, admin.ModelAdmin):
    list_display = ("label", "restaurant", "zone", "min_covers", "max_covers", "combinable", "accessible", "active")
    list_filter = ("restaurant", "zone", "combinable", "accessible", "active")
    search_fields = ("label",)
    list_select_related = ("restaurant", "zone")

    def save_model(self, request, obj, form, change):
        from assignments.services.floor import table_save

        table_save(table=obj, created=not change, changed=form.changed_data)


@admin.register(TableAdjacency)
class TableAdjacencyAdmin(RestaurantScopedAdminMixin, admin.ModelAdmin):
    list_display = ("table_a", "table_b", "restaurant")
    list_filter = ("restaurant",)
    search_fields = ("table_a__label", "table_b__label")
    list_select_related = ("table_a", "table_b", "restaurant")


# -- audit and plumbing -------------------------------------------------------------------------------
@admin.register(BookingStateHistory)
class BookingStateHistoryAdmin(RestaurantScopedAdminMixin, ReadOnlyAdmin):
    restaurant_field = "booking__restaurant"
    list_display = ("booking", "version", "from_badge", "to_badge", "transition", "actor_label", "created_at")
    list_filter = ("to_state", "transition")
    search_fields = ("booking__external_ref", "correlation_id", "actor_label")
    list_select_related = ("booking",)

    @admin.display(description="from", ordering="from_state")
    def from_badge(self, obj):
        return state_badge(obj.from_state) if obj.from_state else "—"

    @admin.display(description="to", ordering="to_state")
    def to_badge(self, obj):
        return state_badge(obj.to_state)


@admin.register(BookingAssignmentAttempt)
class BookingAssignmentAttemptAdmin(RestaurantScopedAdminMixin, ReadOnlyAdmin):
    restaurant_field = "booking__restaurant"
    list_display = ("booking", "attempt_no", "strategy", "result", "reason", "created_at")
    list_filter = ("result", "strategy")
    search_fields = ("booking__external_ref", "correlation_id")
    list_select_related = ("booking",)


@admin.register(TableAllocation)
class TableAllocationAdmin(RestaurantScopedAdminMixin, ReadOnlyAdmin):
    list_display = ("table", "booking", "hold", "start_at", "end_at", "restaurant")
    list_filter = ("restaurant",)
    search_fields = ("table__label", "booking__external_ref")
    list_select_related = ("table", "booking", "restaurant", "hold")


@admin.register(Hold)
class HoldAdmin(RestaurantScopedAdminMixin, ReadOnlyAdmin):
    list_display = ("id", "restaurant", "party_size", "start_at", "end_at", "expires_at", "booking")
    list_filter = ("restaurant",)
    list_select_related = ("restaurant", "booking")


@admin.register(OutboxEvent)
class OutboxEventAdmin(RestaurantScopedAdminMixin, ReadOnlyAdmin):
    restaurant_field = "restaurant_id"
    list_display = ("id", "event_type", "aggregate_id", "restaurant_id", "created_at", "published_at")
    list_filter = ("event_type",)
    search_fields = ("aggregate_id", "correlation_id")

