"""Bookings: the list, a booking's page with its audit trail, and the fixes a person makes there (assign by hand,
another time, a re-seat, retry, cancel).

Views and actions stay thin: they check the permission, call one service with `Actor.staff(request.user)`, and turn
its refusal into a message. Only staff with `assignments.assign_booking` may assign, retry or cancel."""

from __future__ import annotations

import json
from datetime import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from assignments import lifecycle
from assignments.admin import common
from assignments.admin.common import (
    OVERRIDE_PERMISSION,
    WAITING_STATES,
    DateBoundsChangeList,
    ReadOnlyInline,
    can_assign,
    id_from,
    local_time,
    refusal_html,
    restaurants_visible_to,
)
from assignments.admin.service import BookingServiceMixin, can_serve
from assignments.lifecycle import Actor, LifecycleError
from assignments.models import Booking, BookingStateHistory, TableAllocation
from assignments.phones import PhoneInvalid, phone_display, phone_normalize, phone_search_digits
from assignments.selectors.heal import booking_heal_note
from assignments.selectors.pacing import booking_pacing_note
from assignments.selectors.review import (
    booking_actions,
    booking_assign_options,
    booking_attempts_by_try,
    booking_nearest_times,
    booking_reason_now,
    booking_reseat_offer,
    booking_tables_at_time,
)
from assignments.services.bookings import CONTACT_FIELDS, booking_update_contact
from assignments.services.manual import (
    ManualAssignmentError,
    booking_assign_manually,
    booking_retry_by_staff,
    booking_seat_at_time,
    booking_seat_with_reseat,
)
from assignments.templatetags.maitre_admin import state_badge
from tenancy.admin import RestaurantScopedAdminMixin, scope_queryset


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
            return format_html(
                '<strong class="maitre-healed">{}</strong>{}', healed, f"; {rest}" if rest else ""
            )
        return rest or "—"


class AllocationInline(ReadOnlyInline):
    model = TableAllocation
    fk_name = "booking"
    verbose_name_plural = "allocations"
    fields = ("table", "start_at", "end_at", "created_at")


# -- forms --------------------------------------------------------------------------------------------
class ManualAssignForm(forms.Form):
    """Either one of the engine's plans, or a free choice of tables; `version` refuses a stale page."""

    plan = forms.CharField(
        required=False
    )  # a plan taken meanwhile still reaches the service, which names the clash
    tables = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    override = forms.BooleanField(
        required=False
    )  # seat on tables that break a soft rule (a separate permission)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, plans=(), tables=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tables"].choices = [(t.label, t.label) for t in tables]

    def clean(self):
        data = super().clean()
        plan, tables = data.get("plan"), data.get("tables") or []
        if plan and tables:
            raise forms.ValidationError(
                "Choose either one of the engine's plans or your own tables, not both."
            )
        if not plan and not tables:
            raise forms.ValidationError("Choose one of the engine's plans or tick the tables yourself.")
        data["table_labels"] = plan.split(",") if plan else list(tables)
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(required=False, max_length=200, initial="cancelled by staff")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class BookingContactForm(forms.ModelForm):
    """The page's editable part: how to reach the guest, and the notes. The phone is typed as a host reads it
    (+44 7700 900123, 07700 900123) and kept as the console searches it."""

    guest_phone = forms.CharField(max_length=40, required=False, label="Guest phone")

    class Meta:
        model = Booking
        fields = ("guest_name", "guest_email", "guest_phone", "notes")
        widgets = {"notes": forms.Textarea(attrs={"rows": 3, "cols": 60})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.guest_phone:
            self.initial["guest_phone"] = phone_display(self.instance.guest_phone)

    def clean_guest_phone(self) -> str:
        try:
            return phone_normalize(self.cleaned_data.get("guest_phone", ""))
        except PhoneInvalid as exc:
            raise forms.ValidationError(f"{str(exc).capitalize()}.") from None


# -- bookings -----------------------------------------------------------------------------------------
class BookingAdmin(BookingServiceMixin, RestaurantScopedAdminMixin, admin.ModelAdmin):
    """Bookings are created and changed through the API and services; here they are read, and moved along
    only through the lifecycle (assign, retry, cancel)."""

    list_display = (
        "booking_ref",
        "state_col",
        "restaurant",
        "party_size",
        "when",
        "tables_col",
        "preferences",
        "assignment_strategy",
    )
    list_display_links = ("booking_ref",)
    list_filter = ("state", "restaurant", "needs_accessible", "assignment_strategy")
    search_fields = ("external_ref", "guest_name", "guest_email", "last_correlation_id", "=id")
    search_help_text = "A reference, a guest's name or e-mail, or any 4 or more digits of their phone."
    form = BookingContactForm
    date_hierarchy = "start_at"
    list_select_related = ("restaurant", "preferred_zone")
    list_per_page = 50
    inlines = [AllocationInline, HistoryInline]  # attempts: grouped by try in the template, collapsed
    change_form_template = "admin/assignments/booking/change_form.html"
    fieldsets = (  # what a host needs first on a laptop: who, when, where; then how to reach the guest
        (None, {"fields": ("state_col", "party_size", "when", "tables_col", "preferences", "restaurant")}),
        ("Guest", {"fields": ("external_ref", "guest_name", "guest_phone", "guest_email", "notes")}),
        (
            "Assignment",
            {
                "fields": (
                    "version",
                    "arrival",
                    "assignment_attempts",
                    "assigned_at",
                    "assignment_strategy",
                    "last_correlation_id",
                    "created_at",
                    "updated_at",
                )
            },
        ),
        ("Service", {"fields": ("arrived_at", "arrived_late", "left_at")}),
    )
    readonly_fields = (
        "state_col",
        "restaurant",
        "external_ref",
        "party_size",
        "when",
        "preferences",
        "arrival",
        "tables_col",
        "version",
        "assignment_attempts",
        "assigned_at",
        "assignment_strategy",
        "last_correlation_id",
        "created_at",
        "updated_at",
        "arrived_at",
        "arrived_late",
        "left_at",
    )
    actions = ["retry_selected", "cancel_selected"]
    url_prefix = "booking"

    def get_list_display(self, request):
        """The restaurant column only for someone who sees more than one."""
        if restaurants_visible_to(request.user).count() > 1:
            return self.list_display
        return tuple(c for c in self.list_display if c != "restaurant")

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
        return (
            super()
            .get_queryset(request)
            .filter(restaurant__in=restaurants_visible_to(request.user))
            .prefetch_related("allocations__table")
        )

    # ---- permissions: bookings come from the API; changes go through the lifecycle
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_assign_permission(self, request):
        return can_assign(request.user)

    def save_model(self, request, obj, form, change):
        """Only what the form edits, through the one service for a guest's contact (never a full save())."""
        booking_update_contact(
            booking=obj, **{f: form.cleaned_data[f] for f in form.changed_data if f in CONTACT_FIELDS}
        )

    def get_changelist(self, request, **kwargs):
        return DateBoundsChangeList

    def get_search_results(self, request, queryset, search_term):
        """The admin's search, plus the phone: digits typed with any spacing find the number they are part of."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digits = phone_search_digits(search_term)
        if digits:
            # typed nationally (07700 900123), kept internationally (+447700900123): the digits after the 0 match
            national = digits.lstrip("0")
            match = Q(guest_phone__contains=digits)
            if len(national) >= 4:
                match |= Q(guest_phone__contains=national)
            found = found | queryset.filter(match)
        return found, may_have_duplicates

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
            pk=id_from(object_id),
        )

    def _require_assign(self, request):
        if not self.has_assign_permission(request):
            raise PermissionDenied(
                "You may look, but assigning, retrying and cancelling needs the 'assign bookings' permission."
            )

    # ---- the detail page
    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        booking = (
            Booking.objects.filter(pk=id_from(object_id), restaurant__in=restaurants_visible_to(request.user))
            .select_related("restaurant", "preferred_zone")
            .first()
        )
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
        actions = booking_actions(booking=booking, now=common.console_now())
        serves = can_serve(request.user, booking.restaurant_id)
        tools = {
            "booking": booking,
            "timeline_url": timeline_url,
            "can_assign": self.has_assign_permission(request),
            "assignable": actions.assign,
            "retryable": actions.retry,
            "cancellable": actions.cancel,
            "assign_url": self._url("assign", booking),
            "retry_url": self._url("retry", booking),
            "cancel_url": self._url("cancel", booking),
            "can_serve": serves,
            "seatable": serves and actions.seat,
            "completable": serves and actions.complete,
            "no_show_possible": serves and actions.no_show,
            "seat_url": self._url("seat", booking),
            "complete_url": self._url("complete", booking),
            "no_show_url": self._url("no-show", booking),
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
        if not booking_actions(booking=booking).assign:
            self.message_user(
                request,
                f"Booking {booking} is '{booking.get_state_display()}': nothing to assign.",
                messages.WARNING,
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
            if (
                form.is_valid()
                and form.cleaned_data["override"]
                and not request.user.has_perm(OVERRIDE_PERMISSION)
            ):
                raise PermissionDenied(
                    "Seating on tables that break a rule needs the 'override seating' permission."
                )
            if form.is_valid():
                try:
                    booking_assign_manually(
                        booking=booking,
                        table_labels=form.cleaned_data["table_labels"],
                        actor=Actor.staff(request.user),
                        expected_version=form.cleaned_data["version"],
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
                        request,
                        f"Booking {booking} confirmed at {', '.join(sorted(form.cleaned_data['table_labels']))}.",
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
                {
                    "rank": i + 1,
                    "plan": p,
                    "value": ",".join(p.tables),
                    "zone": ctx.floor.table_by_id[p.tables[0]].zone,
                    "covers": sum(ctx.floor.table_by_id[t].max_covers for t in p.tables),
                    "breakdown": [(k, v) for k, v in p.breakdown.items() if v],
                }
                for i, p in enumerate(options.plans)
            ],
            "reason_now": "" if options.plans else booking_reason_now(ctx=ctx),
            "pacing_note": booking_pacing_note(ctx=ctx),
            "nearest": [
                {
                    "label": o.label(tz),
                    "start": o.start_at.isoformat(),
                    "tables": ",".join(o.tables),
                    "delta": o.delta_minutes,
                }
                for o in (() if options.plans else booking_nearest_times(ctx=ctx, now=common.console_now()))
            ],
            "reseat": reseat,
            "tables": sorted(
                options.tables, key=lambda t: not t.free
            ),  # the free ones first, floor order kept
            "free_count": sum(1 for t in options.tables if t.free),
            "chosen": chosen,
            "can_override": request.user.has_perm(OVERRIDE_PERMISSION),
            "window": f"{ctx.window[0].astimezone(tz):%H:%M}–{ctx.window[1].astimezone(tz):%H:%M}",
            "when": local_time(booking),
            "max_combination_tables": ctx.restaurant.max_combination_tables,
            **self._booking_tools(request, booking),
        }
        return TemplateResponse(request, "admin/assignments/booking/assign.html", context)

    def _reseat_proposal(self, booking: Booking) -> dict:
        """The re-seat offer as the host will read it."""
        offer = booking_reseat_offer(booking=booking, now=common.console_now())
        if offer is None:
            return {"found": False}
        moves = [
            {"booking": m.booking, "from": "+".join(m.old_tables), "to": "+".join(m.new_tables)}
            for m in offer.moves
        ]
        text = ", ".join(
            f"move {m.booking.external_ref or '#' + str(m.booking.pk)} from {'+'.join(m.old_tables)} "
            f"to {'+'.join(m.new_tables)}"
            for m in offer.moves
        )
        tables = "+".join(offer.tables)
        return {
            "found": True,
            "moves": moves,
            "tables": tables,
            "text": f"{text}, then seat here at {tables}" if moves else f"seat here at {tables}",
            "signature": offer.signature,
        }

    def _seat_at_time(self, request, booking: Booking):
        """The guest agreed to another time: change it (the modification path) and seat, or say why not."""
        try:
            start_at = datetime.fromisoformat(request.POST["start"])
            tables = [t for t in request.POST.get("tables", "").split(",") if t]
            version = int(request.POST["version"])
        except (KeyError, ValueError):
            self.message_user(
                request, "That time choice was malformed; pick one of the offered times.", messages.ERROR
            )
            return HttpResponseRedirect(self._url("assign", booking))
        try:
            booking_seat_at_time(
                booking=booking,
                start_at=start_at,
                table_labels=tables,
                actor=Actor.staff(request.user),
                expected_version=version,
            )
        except (ManualAssignmentError, LifecycleError) as exc:
            self.message_user(request, refusal_html(exc), messages.ERROR)
            return HttpResponseRedirect(self._url("assign", booking))
        booking.refresh_from_db()
        self.message_user(
            request,
            f"Booking {booking} moved to {local_time(booking)} and confirmed at "
            f"{', '.join(tables)}. Tell the guest the new time.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._changelist_url())

    def _seat_with_reseat(self, request, booking: Booking):
        try:
            expected = {k: tuple(v) for k, v in json.loads(request.POST["moves"]).items()}
            version = int(request.POST["version"])
        except (KeyError, ValueError, AttributeError, TypeError):
            self.message_user(request, "That proposal was malformed; ask for a new one.", messages.ERROR)
            return HttpResponseRedirect(self._url("assign", booking))
        try:
            seated, moves = booking_seat_with_reseat(
                booking=booking,
                expected_moves=expected,
                actor=Actor.staff(request.user),
                expected_version=version,
                now=common.console_now(),
            )
        except (ManualAssignmentError, LifecycleError) as exc:
            self.message_user(request, refusal_html(exc), messages.ERROR)
            return HttpResponseRedirect(self._url("assign", booking) + "?reseat=1")
        tables = sorted(TableAllocation.objects.filter(booking=seated).values_list("table__label", flat=True))
        self.message_user(
            request,
            f"Booking {seated} confirmed at {', '.join(tables)} after moving {len(moves)} other booking(s).",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._changelist_url())

    # ---- retry / cancel, one booking
    def _retry(self, request, booking: Booking, version: int | None) -> tuple[int, str]:
        """Retry through the service and say what happened to the booking: (level, text)."""
        out = booking_retry_by_staff(
            booking=booking, actor=Actor.staff(request.user), expected_version=version
        )
        if out.result == "refused":
            return messages.ERROR, f"{booking}: not retried: {out.error}."
        if out.result == "confirmed":
            return messages.SUCCESS, f"{booking}: retried and confirmed at {', '.join(out.tables)}."
        if out.result == "review":
            return messages.WARNING, f"{booking}: retried, and back in review at once: {out.reason_before}."
        if out.plan_now:
            return messages.SUCCESS, (
                f"{booking}: sent to automatic assignment ({out.reason_before}); it is seated within seconds."
            )
        return messages.WARNING, (
            f"{booking}: sent to automatic assignment, but the engine has no plan now "
            f"({out.reason_before}): it will come back to review unless the floor changes."
        )

    def retry_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        booking = self._get_booking(request, object_id)
        self._require_assign(request)
        level, text = self._retry(request, booking, id_from(request.POST.get("version")))
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
                    booking=booking,
                    reason=form.cleaned_data["reason"] or "cancelled by staff",
                    expected_version=form.cleaned_data["version"],
                    actor=Actor.staff(request.user),
                )
            except LifecycleError as exc:
                self.message_user(request, f"Not cancelled: {exc}.", messages.ERROR)
            else:
                self.message_user(
                    request, f"Booking {booking} cancelled; its tables are free again.", messages.SUCCESS
                )
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
        bookings = list(
            scope_queryset(Booking.objects.filter(pk__in=queryset.values("pk")), request.user).select_related(
                "restaurant"
            )
        )
        if request.POST.get("confirm") == "yes":
            form = CancelForm(request.POST)
            if not form.is_valid():  # not a silent "cancelled by staff" in place of what was typed
                problems = " ".join(m for errors in form.errors.values() for m in errors)
                self.message_user(request, f"Nothing cancelled: the reason: {problems}", messages.ERROR)
                return None
            reason = form.cleaned_data["reason"] or "cancelled by staff"
            actor = Actor.staff(request.user)
            for booking in bookings:  # one message per booking: what happened to it
                try:
                    lifecycle.booking_cancel(booking=booking, reason=reason, actor=actor)
                except LifecycleError as exc:
                    self.message_user(request, f"{booking}: not cancelled: {exc}.", messages.ERROR)
                else:
                    self.message_user(
                        request, f"{booking}: cancelled; its tables are free again.", messages.SUCCESS
                    )
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
