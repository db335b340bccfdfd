/**
 * Rules for `newPassword` on the password grant (docs/protocol.md §1.3, checklist item 7). LSEG's RTO
 * README asks for at least 15 characters and three of the four character classes; its example code checks
 * 30, so the minimum length is a parameter.
 */

/** Shortest accepted new password, characters. */
const MIN_NEW_PASSWORD_LENGTH = 15;

/** Character classes counted by the policy. */
const CLASSES: readonly { name: string; pattern: RegExp }[] = [
  { name: "lower-case letters", pattern: /[a-z]/ },
  { name: "upper-case letters", pattern: /[A-Z]/ },
  { name: "digits", pattern: /[0-9]/ },
  { name: "special characters", pattern: /[^a-zA-Z0-9]/ },
];

/**
 * Why a new password is refused, or undefined when it is acceptable. The text never contains either
 * password.
 * @param minLength shortest accepted length, characters. @default MIN_NEW_PASSWORD_LENGTH (15)
 */
export function newPasswordProblem(
  newPassword: string,
  currentPassword: string,
  minLength = MIN_NEW_PASSWORD_LENGTH,
): string | undefined {
  if (Array.from(newPassword).length < minLength) {
    return `newPassword must be at least ${minLength} characters long.`;
  }
  const present = CLASSES.filter((characterClass) => characterClass.pattern.test(newPassword));
  if (present.length < 3) {
    const names = CLASSES.map((characterClass) => characterClass.name).join(", ");
    return `newPassword must contain at least 3 of these 4 character classes: ${names} (it has ${present.length}).`;
  }
  if (newPassword === currentPassword) return "newPassword must differ from the current password.";
  return undefined;
}
