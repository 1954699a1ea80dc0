import { Session } from "@shopify/shopify-api";
import type { SessionStorage } from "@shopify/shopify-app-session-storage";
import { log } from "../logger.server";
import { openToken, sealToken, SecretBoxError, type SecretBox } from "../settings/secret-box.server";

// Shopify's session storage (the library's, over the Session table) with the access and refresh tokens sealed at rest
// under ENCRYPTION_KEY, bound to the session's shop (docs/decisions/022-key-ring-and-bound-secrets.md). The library
// sees tokens in clear; the table holds them sealed. Tokens stored before (in clear) still read; `secrets rotate`
// seals them. A session whose token cannot be opened is as good as none: the library exchanges a new token.

function withTokens(session: Session, accessToken: string | undefined, refreshToken: string | undefined): Session {
  const copy = new Session(session.toObject());
  copy.accessToken = accessToken;
  copy.refreshToken = refreshToken;
  return copy;
}

export function sealSession(box: SecretBox, session: Session): Session {
  return withTokens(
    session,
    session.accessToken ? sealToken(box, session.accessToken, session.shop, "access_token") : session.accessToken,
    session.refreshToken ? sealToken(box, session.refreshToken, session.shop, "refresh_token") : session.refreshToken,
  );
}

/** The session with its tokens in clear; null when they cannot be opened with the configured keys. */
export function openSession(box: SecretBox, session: Session): Session | null {
  try {
    return withTokens(
      session,
      session.accessToken ? openToken(box, session.accessToken, session.shop, "access_token") : session.accessToken,
      session.refreshToken ? openToken(box, session.refreshToken, session.shop, "refresh_token") : session.refreshToken,
    );
  } catch (error) {
    if (!(error instanceof SecretBoxError)) throw error;
    log.warn("a Shopify session's token cannot be read with ENCRYPTION_KEY: it is treated as missing", { shop: session.shop, error: error.message });
    return null;
  }
}

export class SealedSessionStorage implements SessionStorage {
  constructor(
    private readonly inner: SessionStorage,
    private readonly box: SecretBox,
  ) {}

  storeSession(session: Session): Promise<boolean> {
    return this.inner.storeSession(sealSession(this.box, session));
  }

  async loadSession(id: string): Promise<Session | undefined> {
    const stored = await this.inner.loadSession(id);
    return (stored && openSession(this.box, stored)) ?? undefined;
  }

  deleteSession(id: string): Promise<boolean> {
    return this.inner.deleteSession(id);
  }

  deleteSessions(ids: string[]): Promise<boolean> {
    return this.inner.deleteSessions(ids);
  }

  async findSessionsByShop(shop: string): Promise<Session[]> {
    const stored = await this.inner.findSessionsByShop(shop);
    return stored.map((s) => openSession(this.box, s)).filter((s): s is Session => s !== null);
  }
}
