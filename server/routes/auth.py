"""/api/v1/auth: registration, e-mail verification, invitations, login + MFA, tokens, own sessions."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Body, Response
from server.deps import DB, ClientAddr, CurrentAccount, CurrentPrincipal, RuntimeDep, read_only
from server.schemas import (
    AcceptInvitationRequest, AcceptInvitationResponse, AgentSessionRequest, InvitationPreview, InvitationTokenRequest, LoginRequest,
    LoginResponse, MeResponse, MfaChallengeRequest, MfaConfirmRequest, MfaEnrollResponse, MfaProofRequest, Problem,
    RecoveryCodesResponse, RefreshRequest, RegisterRequest, RegisterResponse, ResendVerificationRequest,
    SessionInfo, StatusResponse, TokenResponse, VerifyEmailLinkRequest, VerifyEmailRequest,
)
from server.services import auth, devices, email_verification, invitations
from server.services.agent_sessions import open_agent_session
from server.services.sessions import own_session, own_sessions, revoke_session

router = APIRouter(responses={
    400: {"model": Problem}, 401: {"model": Problem}, 403: {"model": Problem}, 409: {"model": Problem},
    410: {"model": Problem}, 422: {"model": Problem}, 429: {"model": Problem},
})


def _tokens(issued) -> TokenResponse:
    return TokenResponse(access_token=issued.access_token, refresh_token=issued.refresh_token,
                         expires_in=issued.expires_in, session_id=issued.session_id)


@router.post("/register", status_code=201, response_model=RegisterResponse)
async def register(body: RegisterRequest, db: DB, runtime: RuntimeDep, addr: ClientAddr,
                   background: BackgroundTasks) -> RegisterResponse:
    user, handle, mail = await auth.register(db, runtime, email=body.email, password=body.password,
                                             full_name=body.full_name, organization=body.organization,
                                             client_addr=addr)
    background.add_task(mail.send, runtime.mailer)  # runs after the commit
    return RegisterResponse(user_id=user.id, tenant_id=user.tenant_id, registration=handle)


@router.post("/verify-email", response_model=StatusResponse)
async def verify_email(body: VerifyEmailRequest, db: DB, runtime: RuntimeDep, addr: ClientAddr) -> StatusResponse:
    await email_verification.verify_code(db, runtime, body.email, body.code, body.registration, addr)
    return StatusResponse(status="verified")


@router.post("/verify-email/link", response_model=StatusResponse)
async def verify_email_link(body: VerifyEmailLinkRequest, db: DB, runtime: RuntimeDep,
                            addr: ClientAddr) -> StatusResponse:
    await email_verification.verify_link(db, runtime, body.token, addr, handle=body.registration,
                                         password=body.password)
    return StatusResponse(status="verified")


@router.post("/verify-email/resend", status_code=202, response_model=StatusResponse)
async def resend_verification(body: ResendVerificationRequest, db: DB, runtime: RuntimeDep, addr: ClientAddr,
                              background: BackgroundTasks) -> StatusResponse:
    mail = await email_verification.resend(db, runtime, body.email, body.registration, addr)
    if mail is not None:
        background.add_task(mail.send, runtime.mailer)
    return StatusResponse(status="accepted")


@router.post("/invitations/preview", response_model=InvitationPreview)
async def preview_invitation(body: InvitationTokenRequest, db: DB, runtime: RuntimeDep,
                             addr: ClientAddr) -> InvitationPreview:
    invitation, tenant = await invitations.preview(db, runtime, body.token, addr)
    return InvitationPreview(email=invitation.email, organization=tenant.name, role=invitation.role,
                             expires_at=invitation.expires_at)


@router.post("/invitations/accept", status_code=201, response_model=AcceptInvitationResponse)
async def accept_invitation(body: AcceptInvitationRequest, db: DB, runtime: RuntimeDep,
                            addr: ClientAddr) -> AcceptInvitationResponse:
    user = await invitations.accept(db, runtime, token=body.token, full_name=body.full_name,
                                    password=body.password, client_addr=addr)
    return AcceptInvitationResponse(user_id=user.id, tenant_id=user.tenant_id, email=user.email, role=user.role)


@router.post("/login", response_model=LoginResponse, response_model_exclude_none=True)
async def login(body: LoginRequest, db: DB, runtime: RuntimeDep, addr: ClientAddr) -> LoginResponse:
    result = await auth.login(db, runtime, email=body.email, password=body.password, device_name=body.device_name,
                              hardware_id=body.hardware_id, client_addr=addr, device_token=body.device_token)
    if isinstance(result, str):
        return LoginResponse(mfa_required=True, mfa_token=result)
    device_token = await devices.remember_device(db, runtime.clock, result.session_id, body.device_token)
    return LoginResponse(**_tokens(result).model_dump(exclude={"device_token"}), device_token=device_token)


@router.post("/mfa/challenge", response_model=TokenResponse, response_model_exclude_none=True)
async def mfa_challenge(body: MfaChallengeRequest, db: DB, runtime: RuntimeDep, addr: ClientAddr) -> TokenResponse:
    issued = await auth.complete_mfa(db, runtime, mfa_token=body.mfa_token, code=body.code,
                                     recovery_code=body.recovery_code, client_addr=addr,
                                     device_token=body.device_token)
    device_token = await devices.remember_device(db, runtime.clock, issued.session_id, body.device_token)
    return _tokens(issued).model_copy(update={"device_token": device_token})


@router.post("/mfa/enroll", response_model=MfaEnrollResponse)
async def mfa_enroll(principal: CurrentPrincipal, db: DB, runtime: RuntimeDep, addr: ClientAddr,
                     body: MfaProofRequest | None = Body(default=None)) -> MfaEnrollResponse:
    secret, uri = await auth.begin_enrollment(
        db, runtime, principal.user, code=body.code if body else None,
        recovery_code=body.recovery_code if body else None, client_addr=addr,
    )
    return MfaEnrollResponse(secret=secret, otpauth_uri=uri)


@router.post("/mfa/enroll/confirm", response_model=RecoveryCodesResponse)
async def mfa_enroll_confirm(body: MfaConfirmRequest, principal: CurrentPrincipal, db: DB, runtime: RuntimeDep,
                             addr: ClientAddr) -> RecoveryCodesResponse:
    codes = await auth.finish_enrollment(db, runtime, principal.user, principal.session, body.code, addr)
    return RecoveryCodesResponse(recovery_codes=codes)


@router.post("/mfa/recovery-codes", response_model=RecoveryCodesResponse)
async def mfa_recovery_codes(body: MfaProofRequest, principal: CurrentPrincipal, db: DB, runtime: RuntimeDep,
                             addr: ClientAddr) -> RecoveryCodesResponse:
    codes = await auth.regenerate_recovery_codes(db, runtime, principal.user, code=body.code,
                                                 recovery_code=body.recovery_code, client_addr=addr)
    return RecoveryCodesResponse(recovery_codes=codes)


@router.post("/refresh", response_model=TokenResponse, response_model_exclude_none=True)
async def refresh(body: RefreshRequest, db: DB, runtime: RuntimeDep, addr: ClientAddr) -> TokenResponse:
    return _tokens(await auth.refresh(db, runtime, body.refresh_token, addr))


@router.post("/logout", status_code=204, response_class=Response)
async def logout(principal: CurrentPrincipal, db: DB, runtime: RuntimeDep, addr: ClientAddr) -> Response:
    await revoke_session(db, runtime.clock, principal.session, reason="logout", actor=principal.user,
                         client_addr=addr)
    return Response(status_code=204)


@router.get("/me", response_model=MeResponse)
@read_only
async def me(account: CurrentAccount) -> MeResponse:
    full_name, tenant_name, mfa_enrolled, email_verified, tier, license_key = account.extra
    return MeResponse(
        user_id=account.user_id, email=account.email, full_name=full_name, tenant_id=account.tenant_id,
        tenant_name=tenant_name, role=account.role, tier=tier, license_key=license_key,
        mfa_enrolled=bool(mfa_enrolled), email_verified=bool(email_verified), session_id=account.session_id,
        amr=account.amr,
    )


@router.get("/sessions", response_model=list[SessionInfo])
@read_only
async def list_sessions(principal: CurrentPrincipal, db: DB, runtime: RuntimeDep) -> list[SessionInfo]:
    """The caller's sessions that have not reached their absolute expiry, newest first."""
    return [
        SessionInfo(id=s.id, device_name=s.device_name, client_addr=s.client_addr, created_at=s.created_at,
                    last_seen_at=s.last_seen_at, amr=s.amr.split(), current=s.id == principal.session.id,
                    revoked_at=s.revoked_at)
        for s in await own_sessions(db, runtime.clock, principal.user.id)
    ]


@router.delete("/sessions/{session_id}", status_code=204, response_class=Response)
async def delete_session(session_id: str, principal: CurrentPrincipal, db: DB, runtime: RuntimeDep,
                         addr: ClientAddr) -> Response:
    session = await own_session(db, principal.user.id, session_id)
    await revoke_session(db, runtime.clock, session, reason="user_revoked", actor=principal.user, client_addr=addr)
    return Response(status_code=204)


@router.post("/agent-sessions", status_code=201, response_model=TokenResponse)
async def create_agent_session(body: AgentSessionRequest, principal: CurrentPrincipal, db: DB, runtime: RuntimeDep,
                               addr: ClientAddr) -> TokenResponse:
    """A new login session for the `coditect` command on this device (its own refresh token)."""
    issued = await open_agent_session(db, runtime, principal, device_name=body.device_name,
                                      hardware_id=body.hardware_id, client_addr=addr)
    return _tokens(issued)
