"""One customer in the support console, read-only: the overview, its users and its latest
audit events. It inherits only the reading keys of the console frame: no write action is
declared here, so none is bound, shown or in the palette. The banner says that opening a
customer is recorded in that customer's audit trail."""

from __future__ import annotations

from rich.text import Text

from screens.actions import Action, bindings
from screens.admin_frame import ConsoleFrame, read_actions
from tui import admin_console as ac
from tui.admin_sources import SupportTenantData
from widgets.facts import Facts

PANEL_IDS = ["users", "audit"]


class SupportTenantScreen(ConsoleFrame):
    ACTIONS = [*read_actions(PANEL_IDS),
               Action("escape", "back", "Back", "Back to the customer search", "escape in a filter box clears it first")]
    BINDINGS = bindings(ACTIONS)
    AUTO_REFRESH = False  # every opening is an audit event: refresh only on r
    WRITE: dict = {}

    def __init__(self, client, detail) -> None:
        self.client = client
        self.data = SupportTenantData(detail)
        super().__init__(self.data.panels())
        self.sub_title = detail.name
        self._viewed_once = False

    def banner(self) -> Text:
        return Text(f"{ac.SUPPORT_BANNER} · {self.data.detail.name}", no_wrap=False)

    def on_mount(self) -> None:
        # Textual then runs ConsoleFrame.on_mount too (handlers run for each class).
        self.query_one("#console-banner").add_class("-support")
        self.show_overview(self.data.detail)

    async def fetch_overview(self):
        """r on the overview: open the customer again (the server records that view too)."""
        detail = await self.client.open_tenant(self.data.detail.id)
        self.data.detail = detail
        for panel_id in PANEL_IDS:
            self.table(panel_id).reload()
        return detail

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
