"""Activate a license and take a seat for this machine.

The organization's licenses are listed (the free one always exists); a key is checked
(format and check character) as it is typed; the seat's state is shown and kept fresh by
the app's heartbeat (offline: "valid until …"; lost: take it again).

Reached in onboarding, or from home ("Activate a license key"): escape then goes back
home while the machine holds a seat.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Static

from screens.base import BaseScreen
from screens.actions import Action, bindings
from tui.lease_status import LeaseStatus
from widgets.columns import columns_that_fit
from widgets.form_field import FormField
from widgets.lease_panel import LeasePanel
from widgets.validators import LicenseKey


# (header, priority: lower stays longer) — the key and its seats matter most here.
LICENSE_COLUMNS = (("Tier", 1), ("Key", 0), ("Seats", 0), ("Commands/day", 3), ("Expires", 2))


def licenses_table(licenses, width: int) -> Table:
    """The organization's licenses, dropping the least important columns that do not fit."""
    rows = [(lic.tier.upper(), lic.key, f"{lic.seats_used}/{lic.seats_total}", str(lic.daily_limit),
             lic.expires_at.strftime("%Y-%m-%d") if lic.expires_at else "never") for lic in licenses]
    kept = columns_that_fit([header for header, _ in LICENSE_COLUMNS], rows,
                            [priority for _, priority in LICENSE_COLUMNS], width)
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    for index in kept:
        table.add_column(LICENSE_COLUMNS[index][0], no_wrap=True)
    for row in rows:
        table.add_row(*(Text(row[index]) for index in kept))
    return table


class LicenseScreen(BaseScreen):
    STAGE = "License"
    ERROR_FIELDS = {"license_not_found": "license_key", "license_in_use": "license_key",
                    "license_key_invalid": "license_key", "license_expired": "license_key"}
    ACTIONS = [
        Action("ctrl+s", "take_seat", "Take a seat", "Take a seat of your organization's license",
               "The best license your organization has, as it is"),
        Action("ctrl+n", "continue", "Continue", help="On to the next step once this machine has a seat"),
        Action("escape", "leave", "Back", help="Back to your account (once this machine has a seat)"),
    ]
    BINDINGS = bindings(ACTIONS)

    def compose_body(self) -> ComposeResult:
        yield Static("Activate your license", classes="screen-title")
        yield Static("Loading your organization's licenses…", id="licenses")
        yield Static("Enter a license key you received, or take a seat of your organization's best "
                     "license as it is (ctrl+s).", classes="hint", id="license-hint")
        yield FormField("License key", Input(placeholder="CODITECT-PRO-XXXX-XXXX-XXXX-XXXX", compact=True,
                                             validators=[LicenseKey()], max_length=60), id="license_key")
        with Horizontal(classes="choices"):
            yield Button("Activate key", id="activate", variant="primary", compact=True)
            yield Button("Take a seat (ctrl+s)", id="take-seat", compact=True)
            yield Button("Continue (ctrl+n)", id="continue", compact=True)
        yield LeasePanel(self.lease, id="lease")

    @property
    def lease(self) -> LeaseStatus:
        return self.app.session.license.status()

    def on_mount(self) -> None:
        self.query_one("#license_key", FormField).input.focus()
        self.app.lease_changed.subscribe(self, self.show_lease)
        self.show_lease(self.lease)
        if self.app.session.seat.problem:
            self.status.show(self.app.session.seat.problem, "error")
        self.load()

    def load(self) -> None:
        self.call("Loading your organization's licenses…", self.app.session.licenses, self._show_licenses,
                  group="load", failed=self._not_loaded)

    def _not_loaded(self, _error) -> None:
        self.query_one("#licenses", Static).update(Text("Your organization's licenses could not be loaded "
                                                        "(see below). Press ctrl+r to try again."))

    listing = None

    def _show_licenses(self, listing) -> None:
        self.listing = listing
        widget = self.query_one("#licenses", Static)
        width = widget.content_region.width or self.size.width - 4
        widget.update(licenses_table(listing.licenses, width) if listing.licenses else Text("No license yet."))

    def on_resize(self) -> None:
        if self.listing is not None:
            self.call_after_refresh(self._show_licenses, self.listing)

    def show_lease(self, status: LeaseStatus) -> None:
        self.query_one("#lease", LeasePanel).show_status(status)
        self.query_one("#continue", Button).disabled = not status.has_seat
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave":  # only as a way back home (in onboarding ctrl+n goes on)
            return self.lease.has_seat and self.app.session.state().onboarded
        return super().check_action(action, parameters)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        {"activate": self.submit, "take-seat": self.action_take_seat, "continue": self.action_continue}[event.button.id]()

    def on_input_submitted(self, event) -> None:
        field = self.query_one("#license_key", FormField)
        if event.input is field.input and not field.check():
            event.stop()
            self.status.show("Fix the license key marked in red first.", "error")
            return
        super().on_input_submitted(event)

    def submit(self) -> None:
        if not self.form_ok():
            self.status.show("Fix the license key marked in red first.", "error")
            return
        key = self.query_one("#license_key", FormField).value
        self.call("Activating the license and taking a seat…",
                  lambda: self.app.session.seat.activate(key), self._seat_taken)

    def action_take_seat(self) -> None:
        self.call("Taking a seat for this machine…", self.app.session.seat.acquire, self._seat_taken)

    def _seat_taken(self, status: LeaseStatus) -> None:
        self.show_lease(status)
        self.app.sync_heartbeat()
        if not status.has_seat:
            self.status.show(status.describe(), "error")
            return
        self.query_one("#license_key", FormField).show_error(None)  # a typo there no longer matters
        self.status.show("This machine has a seat. Press ctrl+n to continue.", "ok")
        self.query_one("#continue", Button).focus()
        self.call(None, self.app.session.licenses, self._show_licenses, group="load")

    def action_continue(self) -> None:
        if self.lease.has_seat:
            self.app.advance()
        else:
            self.status.show("Take a seat first (ctrl+s), or activate a license key.", "error")

    def action_leave(self) -> None:
        if self.lease.has_seat and self.app.session.state().onboarded:
            self.app.advance()
