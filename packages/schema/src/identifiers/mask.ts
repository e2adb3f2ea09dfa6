/** Shows the region code and check character, hides birth date and sequence: 370303********123X. */
export function maskCitizenId(value: string): string {
  if (value.length !== 18) return '*'.repeat(value.length);
  return `${value.slice(0, 6)}********${value.slice(14)}`;
}

/** Keeps the family name (first character) of a person's name: 张** . */
export function maskPersonName(name: string): string {
  const characters = [...name];
  if (characters.length <= 1) return '*';
  return characters[0] + '*'.repeat(characters.length - 1);
}

/** Region prefix and the last four only: 370***********123X. */
export function maskCitizenIdMinimal(value: string): string {
  if (value.length !== 18) return '*'.repeat(value.length);
  return `${value.slice(0, 3)}${'*'.repeat(11)}${value.slice(14)}`;
}

/** The family name and one star, whatever the length: 张* (a length would narrow the search). */
export function maskPersonNameMinimal(name: string): string {
  const [first] = [...name];
  return first === undefined ? '' : `${first}*`;
}
