/**
 * The machine-ID accounts the simulated gateway knows, with their current passwords. Passwords changed
 * through `newPassword` (checklist item 7) live here, in memory only, so the shared configuration object
 * stays as the caller passed it.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Account } from "../types.js";

/** Read-mostly view of the accounts for the grant handlers. */
export class AccountBook {
  readonly #accounts = new Map<string, Account>();
  readonly #passwords = new Map<string, string>();
  readonly #clientIds = new Set<string>();

  constructor(accounts: readonly Account[]) {
    for (const account of accounts) {
      this.#accounts.set(account.user, account);
      this.#passwords.set(account.user, account.password);
      this.#clientIds.add(account.clientId);
    }
  }

  /** The account of a machine ID, if known. */
  get(user: string): Account | undefined {
    return this.#accounts.get(user);
  }

  /**
   * Whether `clientId` may be used for `user`: it must belong to some account, and to this user's when
   * the user is known (an unknown user is left to the credential check, which answers `invalid_grant`).
   */
  isClientAllowed(clientId: string, user: string): boolean {
    if (!this.#clientIds.has(clientId)) return false;
    const account = this.#accounts.get(user);
    return account === undefined || account.clientId === clientId;
  }

  /** Whether `password` is the user's current password (constant-time comparison of digests). */
  verifyPassword(user: string, password: string): boolean {
    const current = this.#passwords.get(user);
    if (current === undefined) return false;
    return timingSafeEqual(digest(current), digest(password));
  }

  /** The user's current password (for the "must differ" rule); undefined for an unknown user. */
  currentPassword(user: string): string | undefined {
    return this.#passwords.get(user);
  }

  /** Replaces the user's password in memory. */
  changePassword(user: string, newPassword: string): void {
    if (this.#accounts.has(user)) this.#passwords.set(user, newPassword);
  }
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
