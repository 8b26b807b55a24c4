"""One customer in the support console, read-only: the admin console's panels (sessions,
seats, users, invites, quotas, audit) over that customer's support routes, with the
overview of the opening. It inherits only the reading keys of the console frame: no write
action is declared here, so none is bound, shown or in the palette. The banner says that
opening a customer is recorded in that customer's audit trail."""

from __future__ import annotations

from rich.text import Text

from screens.actions import Action, bindings
from screens.admin_frame import ConsoleFrame, read_actions
from tui import admin_console as ac
from tui.admin_sources import PANEL_IDS, AdminData
from widgets.facts import Facts


class SupportTenantScreen(ConsoleFrame):
    ACTIONS = [*read_actions(PANEL_IDS),
               Action("escape", "back", "Back", "Back to the customer search", "escape in a filter box clears it first")]
    BINDINGS = bindings(ACTIONS)
    AUTO_REFRESH = False  # r refreshes; the lists are covered by the recorded opening either way
    WRITE: dict = {}

    def __init__(self, client, detail) -> None:
        self.client = client
        self.detail = detail
        self.data = AdminData(client.customer(detail.id), read_only=True)
        super().__init__(self.data.panels())
        self.sub_title = detail.name
        self._viewed_once = False

    def banner(self) -> Text:
        return Text(ac.SUPPORT_CUSTOMER_BANNER)

    def on_mount(self) -> None:
        # Textual then runs ConsoleFrame.on_mount too (handlers run for each class).
        self.query_one("#console-banner").add_class("-support")
        self.show_overview(self.detail)

    async def fetch_overview(self):
        """r on the overview: open the customer again (the server records that view too)."""
        self.detail = await self.client.open_tenant(self.detail.id)
        return self.detail

    def show_overview(self, detail) -> None:
        self.query_one("#overview-facts", Facts).set_rows(ac.support_facts(detail))
        self.query_one("#licenses", Facts).set_rows(ac.license_lines(detail.licenses))
        self.recent = list(detail.audit[:20])

    def load_overview(self) -> None:
        # The first view came with the screen (opening it was the recorded view).
        if self._viewed_once:
            super().load_overview()
        else:
            self._viewed_once = True
            self.query_one("#recent").reload()
