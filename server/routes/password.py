"""/api/v1/auth/password: forgotten password (mail a code, then reset) and change when signed in."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks

from server.deps import DB, ClientAddr, CurrentPrincipal, RuntimeDep
from server.schemas import (
    ChangePasswordRequest, ForgotPasswordRequest, Problem, ResetPasswordRequest, StatusResponse, TokenResponse,
)
from server.services import password_reset

router = APIRouter(responses={
    400: {"model": Problem}, 401: {"model": Problem}, 403: {"model": Problem}, 422: {"model": Problem},
    429: {"model": Problem},
})


@router.post("/forgot", status_code=202, response_model=StatusResponse)
async def forgot_password(body: ForgotPasswordRequest, db: DB, runtime: RuntimeDep, addr: ClientAddr,
                          background: BackgroundTasks) -> StatusResponse:
    mail = await password_reset.forgot(db, runtime, body.email, addr)
    if mail is not None:
        background.add_task(mail.send, runtime.mailer)  # after the commit, after the answer
    return StatusResponse(status="accepted")


@router.post("/reset", response_model=TokenResponse)
async def reset_password(body: ResetPasswordRequest, db: DB, runtime: RuntimeDep, addr: ClientAddr,
                         background: BackgroundTasks) -> TokenResponse:
    tokens, mail = await password_reset.reset(
        db, runtime, email=body.email, code=body.code, link_token=body.token, new_password=body.new_password,
        totp_code=body.totp_code, recovery_code=body.recovery_code, device_name=body.device_name,
        hardware_id=body.hardware_id, client_addr=addr,
    )
    background.add_task(mail.send, runtime.mailer)
    return TokenResponse(access_token=tokens.access_token, refresh_token=tokens.refresh_token,
                         expires_in=tokens.expires_in, session_id=tokens.session_id)


@router.post("/change", response_model=StatusResponse)
async def change_password(body: ChangePasswordRequest, principal: CurrentPrincipal, db: DB, runtime: RuntimeDep,
                          addr: ClientAddr, background: BackgroundTasks) -> StatusResponse:
    mail = await password_reset.change(db, runtime, principal, current_password=body.current_password,
                                       new_password=body.new_password, totp_code=body.totp_code,
                                       recovery_code=body.recovery_code, client_addr=addr)
    background.add_task(mail.send, runtime.mailer)
    return StatusResponse(status="changed")
