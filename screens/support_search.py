"""The support console's first screen: find a customer by name, owner email or license key
(filtered on the server as you type), enter opens it read-only. There is no write key in
the support console at all."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from screens.actions import Action, bindings
from tui import admin_console as ac
from tui.admin_client import SupportClient
from tui.api import ApiError
from tui.errors import UNEXPECTED, log_unexpected
from widgets.paged_table import PagedTable
from widgets.status_line import StatusLine


class SupportSearchScreen(Screen):
    DEFAULT_CSS = """
    SupportSearchScreen #console-banner {
        height: auto;
        padding: 0 1;
        background: $warning-muted;
        text-style: bold;
    }
    """
    ACTIONS = [
        Action("slash", "filter", "Search", "Search customers",
               "By organization name, an owner's email or a license key"),
        Action("enter", "open", "Open", "Open the highlighted customer (read-only; recorded in their audit trail)",
               show=False),
        Action("r", "refresh", "Refresh", "Search again"),
        Action("n", "next_page", "Next", "Next page", "Also: move down past the last row"),
        Action("p", "previous_page", "Prev", "Previous page", show=False),
        Action("ctrl+r", "retry", "Retry", "Try again", "After a failure"),
        Action("escape", "back", "Clear", "Clear the search", show=False),
        Action("l", "app.logout", "Sign out"),
    ]
    BINDINGS = bindings(ACTIONS)

    def __init__(self, api, me) -> None:
        super().__init__()
        self.api = api
        self.me = me
        self.client = SupportClient(api)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(ac.SUPPORT_BANNER), id="console-banner")
        yield PagedTable("Customers", ac.TENANT_COLUMNS, ac.tenant_row, self._search,
                         empty="No customers yet.", filter_hint="/ search by name, owner email or license key",
                         id="tenants")
        yield StatusLine(id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.tenants.focus_filter()

    @property
    def tenants(self) -> PagedTable:
        return self.query_one("#tenants", PagedTable)

    @property
    def status(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    async def _search(self, query: str, cursor: str | None, limit: int):
        return await self.client.search_tenants(query or None, cursor=cursor, limit=limit)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_page":
            return self.tenants.paging.has_next
        if action == "previous_page":
            return self.tenants.paging.page_no > 1
        if action == "retry":
            return self.tenants.error is not None
        return True

    def action_filter(self) -> None:
        self.tenants.focus_filter()

    def action_refresh(self) -> None:
        self.tenants.reload()

    def action_retry(self) -> None:
        self.tenants.reload()

    def action_next_page(self) -> None:
        self.tenants.next_page()

    def action_previous_page(self) -> None:
        self.tenants.previous_page()

    def action_back(self) -> None:
        if not self.tenants.clear_filter():
            self.tenants.focus_table()

    def action_open(self) -> None:
        tenant = self.tenants.highlighted()
        if tenant is not None:
            self.open(tenant)

    @on(PagedTable.Selected)
    def _chosen(self, event: PagedTable.Selected) -> None:
        self.open(event.item)

    @on(PagedTable.Loaded)
    @on(PagedTable.Failed)
    def _changed(self, event) -> None:
        self.refresh_bindings()
        if isinstance(event, PagedTable.Failed):
            from tui.errors import SIGNED_OUT_CODES

            if event.error.code in SIGNED_OUT_CODES:
                self.app.signed_out_elsewhere(event.error.message)

    def open(self, tenant) -> None:
        self.status.show(f"Opening {tenant.name} (recorded in their audit trail)…", "busy")
        self.run_worker(self._open(tenant.id), group="open", exclusive=True, exit_on_error=False)

    async def _open(self, tenant_id: str) -> None:
        from screens.support_tenant import SupportTenantScreen

        try:
            detail = await self.client.open_tenant(tenant_id)
        except ApiError as error:
            self.status.show(error.message, "error")
            return
        except Exception as error:
            log_unexpected("opening a customer", error)
            self.status.show(UNEXPECTED, "error")
            return
        self.status.clear()
        await self.app.push_screen(SupportTenantScreen(self.client, detail))
