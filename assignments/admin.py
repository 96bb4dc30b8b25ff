"""The Django admin: the floor, bookings with their audit trail, the manual-review queue and the day's timeline.

Views and actions here stay thin: they check the permission, call one service (assignments.lifecycle,
assignments.services.*) with `Actor.staff(request.user)`, and turn its refusal into a message.
Only staff with `assignments.assign_booking` may assign, retry or cancel; everyone else may look.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
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
    Zone,
)
from assignments.selectors.review import (
    ASSIGNABLE_STATES,
    booking_assign_options,
    booking_tables_at_time,
    review_queue,
)
from assignments.selectors.timeline import restaurant_day_timeline
from assignments.services.manual import ManualAssignmentError, booking_assign_manually
from assignments.services.pipeline import booking_submit_for_assignment
from assignments.templatetags.maitre_admin import state_badge
from tenancy.admin import RestaurantScopedAdminMixin, scope_queryset

ASSIGN_PERMISSION = "assignments.assign_booking"
WAITING_STATES = (BookingState.PENDING, BookingState.ASSIGNMENT_PENDING, BookingState.MANUAL_REVIEW)


def can_assign(user) -> bool:
    return user.is_active and user.is_staff and user.has_perm(ASSIGN_PERMISSION)


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
        meta = obj.metadata or {}
        return ", ".join(f"{k}: {v}" for k, v in meta.items()) or "—"


class AttemptInline(ReadOnlyInline):
    model = BookingAssignmentAttempt
    verbose_name_plural = "assignment attempts"
    fields = ("attempt_no", "strategy", "result", "reason", "correlation_id", "created_at")
    ordering = ("attempt_no", "id")


class AllocationInline(ReadOnlyInline):
    model = TableAllocation
    fk_name = "booking"
    verbose_name_plural = "allocations"
    fields = ("table", "start_at", "end_at", "created_at")


# -- forms --------------------------------------------------------------------------------------------
class ManualAssignForm(forms.Form):
    """Either one of the engine's plans, or a free choice of tables; `version` refuses a stale page."""

    plan = forms.ChoiceField(required=False, widget=forms.RadioSelect)
    tables = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, plans=(), tables=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [(",".join(p.tables), ", ".join(p.tables)) for p in plans]
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
    inlines = [AllocationInline, HistoryInline, AttemptInline]
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
        return super().get_queryset(request).prefetch_related("allocations__table")

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
        bookings = scope_queryset(Booking.objects.select_related("restaurant", "preferred_zone"), request.user)
        return get_object_or_404(bookings, pk=object_id)

    def _require_assign(self, request):
        if not self.has_assign_permission(request):
            raise PermissionDenied("You may look, but assigning, retrying and cancelling needs the "
                                   "'assign bookings' permission.")

    # ---- the detail page
    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        booking = scope_queryset(Booking.objects.filter(pk=object_id), request.user).select_related("restaurant").first()
        if booking is not None:
            extra.update(self._booking_tools(request, booking))
        return super().change_view(request, object_id, form_url, extra_context=extra)

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

    # ---- manual assignment
    def assign_view(self, request, object_id):
        booking = self._get_booking(request, object_id)
        self._require_assign(request)
        if booking.state not in ASSIGNABLE_STATES:
            self.message_user(
                request, f"Booking {booking} is '{booking.get_state_display()}': nothing to assign.", messages.WARNING
            )
            return HttpResponseRedirect(self._after_url(booking))
        options = booking_assign_options(booking_id=booking.pk)
        form_kwargs = {"plans": options.plans, "tables": options.tables}
        if request.method == "POST":
            form = ManualAssignForm(request.POST, **form_kwargs)
            if form.is_valid():
                try:
                    booking_assign_manually(
                        booking=booking, table_labels=form.cleaned_data["table_labels"],
                        actor=Actor.staff(request.user), expected_version=form.cleaned_data["version"],
                    )
                except ManualAssignmentError as exc:
                    self.message_user(request, str(exc), messages.ERROR)
                    booking.refresh_from_db()
                    options = booking_assign_options(booking_id=booking.pk)
                    form_kwargs = {"plans": options.plans, "tables": options.tables}
                    form = ManualAssignForm(initial={"version": booking.version}, **form_kwargs)
                else:
                    self.message_user(
                        request, f"Booking {booking} confirmed at {', '.join(sorted(form.cleaned_data['table_labels']))}.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse(
                        f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"
                    ))
        else:
            form = ManualAssignForm(initial={"version": booking.version}, **form_kwargs)
        ctx = options.context
        chosen = set(form.data.getlist("tables")) if form.is_bound else set()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Assign {booking} by hand",
            "booking": booking,
            "form": form,
            "plans": [
                {"rank": i + 1, "plan": p, "value": ",".join(p.tables), "zone": options.context.floor.table_by_id[p.tables[0]].zone,
                 "covers": sum(options.context.floor.table_by_id[t].max_covers for t in p.tables),
                 "breakdown": [(k, v) for k, v in p.breakdown.items() if v]}
                for i, p in enumerate(options.plans)
            ],
            "tables": options.tables,
            "chosen": chosen,
            "window": f"{ctx.window[0].astimezone(ctx.restaurant.tzinfo):%H:%M}–"
                      f"{ctx.window[1].astimezone(ctx.restaurant.tzinfo):%H:%M}",
            "when": local_time(booking),
            "max_combination_tables": ctx.restaurant.max_combination_tables,
            **self._booking_tools(request, booking),
        }
        return TemplateResponse(request, "admin/assignments/booking/assign.html", context)

    # ---- retry / cancel, one booking
    def retry_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        booking = self._get_booking(request, object_id)
        self._require_assign(request)
        version = request.POST.get("version")
        try:
            booking_submit_for_assignment(
                booking=booking, trigger="retry", actor=Actor.staff(request.user),
                expected_version=int(version) if version else None,
            )
        except LifecycleError as exc:
            self.message_user(request, f"Not retried: {exc}.", messages.ERROR)
            return HttpResponseRedirect(self._after_url(booking))
        self.message_user(request, f"Booking {booking} sent back to automatic assignment.", messages.SUCCESS)
        return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))

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
        actor = Actor.staff(request.user)
        done, refused = [], []
        for booking in scope_queryset(Booking.objects.filter(pk__in=queryset.values("pk")), request.user).order_by(
            "start_at", "id"
        ):
            try:
                booking_submit_for_assignment(booking=booking, trigger="retry", actor=actor)
            except LifecycleError as exc:
                refused.append(f"{booking}: {exc}")
            else:
                done.append(booking)
        if done:
            self.message_user(request, f"{len(done)} booking(s) sent back to automatic assignment.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, f"Not retried: {line}.", messages.ERROR)

    @admin.action(description="Cancel the selected bookings…", permissions=["assign"])
    def cancel_selected(self, request, queryset):
        bookings = list(scope_queryset(Booking.objects.filter(pk__in=queryset.values("pk")), request.user)
                        .select_related("restaurant"))
        if request.POST.get("confirm") == "yes":
            form = CancelForm(request.POST)
            reason = (form.cleaned_data["reason"] if form.is_valid() else "") or "cancelled by staff"
            actor = Actor.staff(request.user)
            cancelled = 0
            for booking in bookings:
                try:
                    lifecycle.booking_cancel(booking=booking, reason=reason, actor=actor)
                    cancelled += 1
                except LifecycleError as exc:
                    self.message_user(request, f"Not cancelled: {exc}.", messages.ERROR)
            if cancelled:
                self.message_user(request, f"{cancelled} booking(s) cancelled.", messages.SUCCESS)
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


@admin.register(ReviewBooking)
class ReviewQueueAdmin(BookingAdmin):
    """Bookings a person must decide (manual_review, or stuck in assignment_pending), soonest first."""

    list_display = (
        "booking_ref", "state_col", "restaurant", "party_size", "when", "preferences", "reason", "waiting_since",
        "row_actions",
    )
    list_filter = ("state", "restaurant", "needs_accessible")
    date_hierarchy = None
    list_per_page = 100

    def get_queryset(self, request):
        return self.scope(request, review_queue(qs=Booking.objects.all()))

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("assignments.view_booking") or super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return False  # the queue is worked through its actions, never by editing rows

    def get_object(self, request, object_id, from_field=None):
        bookings = scope_queryset(Booking.objects.filter(pk=object_id), request.user)
        return bookings.select_related("restaurant", "preferred_zone").first()

    @admin.display(description="why it is here")
    def reason(self, obj):
        lines = []
        if obj.state == BookingState.ASSIGNMENT_PENDING:
            lines.append("stuck waiting for the assigner")
        elif obj.review_reason:
            lines.append(obj.review_reason)
        if obj.last_attempt_strategy:
            lines.append(f"last attempt: {obj.last_attempt_strategy} → {obj.last_attempt_result}"
                         + (f" ({obj.last_attempt_reason})" if obj.last_attempt_reason else ""))
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines)) or "—"

    @admin.display(description="in this state since")
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
            '<a class="button maitre-assign" href="{}">Assign…</a> <a href="{}">timeline</a>',
            self._url("assign", obj), timeline,
        )

    def changelist_view(self, request, extra_context=None):
        extra = {"title": "Review queue: bookings waiting for a person"}
        extra.update(extra_context or {})
        return super().changelist_view(request, extra_context=extra)


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
        return [
            path("<path:object_id>/timeline/", self.admin_site.admin_view(self.timeline_view),
                 name="assignments_restaurant_timeline"),
        ] + super().get_urls()

    def timeline_view(self, request, object_id):
        if not (self.has_view_permission(request) or request.user.has_perm("assignments.view_booking")):
            raise PermissionDenied
        restaurant = get_object_or_404(scope_queryset(Restaurant.objects.all(), request.user, ""), pk=object_id)
        try:
            day = date.fromisoformat(request.GET["date"]) if request.GET.get("date") else None
        except ValueError:
            self.message_user(request, "Dates look like 2026-12-05; showing today.", messages.WARNING)
            day = None
        day = day or restaurant.service_day_of(timezone.now())
        focus = request.GET.get("booking")
        timeline = restaurant_day_timeline(
            restaurant=restaurant, day=day, focus_booking_id=int(focus) if focus and focus.isdigit() else None
        )
        base = reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{restaurant.name}: {day:%A %d %B %Y}",
            "restaurant": restaurant,
            "timeline": timeline,
            "layout": timeline.layout,
            "day": day,
            "prev_url": f"{base}?date={date.fromordinal(day.toordinal() - 1).isoformat()}",
            "next_url": f"{base}?date={date.fromordinal(day.toordinal() + 1).isoformat()}",
            "states": [s.value for s in BookingState],
            "can_assign": can_assign(request.user),
        }
        return TemplateResponse(request, "admin/assignments/restaurant/timeline.html", context)


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

