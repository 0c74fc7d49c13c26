"""The authorization's completion: POST /oidc/authorize with the authorization parameters, the signed EIP-4361
`message` and its `signature` — the whole sign-in of /auth/verify, bound to the client, and a code for it.

The message must be for this provider: it names the issuer's own domain (a signature a wallet gave another
site is no sign-in here) and lists the redirect_uri among its Resources (siwe-oidc's binding: the wallet
signed for this client, and a code can only go where the user saw it would).
"""

from urllib.parse import urlsplit

from app.domain.signin import SignInContext, checked_batch, new_session, verify_batch
from app.errors import DomainNotAllowed, RedirectUriNotSigned, shown
from app.oidc.authorization import AuthorizationRequest
from app.oidc.codes import CODE_TTL, AuthorizationCode, new_code
from app.oidc.grants import open_code_session


def provider_domain(issuer: str) -> str:
    """The domain (host[:port], RFC 3986 authority) the provider's sign-in messages name: the issuer's."""
    return urlsplit(issuer).netloc


async def complete_authorization(
    context: SignInContext, request: AuthorizationRequest, *, message: str, signature: str, issuer: str, now: float
) -> str:
    """Check and verify the signed message for `request` as a sign-in (raising its AuthError), consume its nonce,
    open the session for the client and save a code for it: the code."""
    [signed], recap = checked_batch([(message, signature)], context.policy, now)
    siwe, domain = signed.message, provider_domain(issuer)
    if siwe.domain != domain:
        raise DomainNotAllowed(f"the message names {shown(siwe.domain, 120)}: this provider signs in on {domain}")
    if request.redirect_uri not in (siwe.resources or ()):
        raise RedirectUriNotSigned()
    await verify_batch(context, [signed])
    code, hashed = new_code()
    session = await open_code_session(
        context.store,
        siwe.nonce,
        new_session([siwe], context.sessions, now, recap),
        client=request.client,
        scope=request.scope,
        of_code_hash=hashed,
    )
    record = AuthorizationCode(
        client_id=request.client.client_id,
        redirect_uri=request.redirect_uri,
        code_challenge=request.code_challenge,
        nonce=request.nonce,
        scope=request.scope,
        session_id=session.session_id,
        address=session.address,
        chain_id=session.chain_id,
        accounts=session.account_ids,
        auth_time=int(now),
        siwe_message=message,
        siwe_signature=signature,
        expires_at=int(now) + CODE_TTL,
    )
    await context.store.save_code(hashed, record.to_json(), CODE_TTL)
    return code
