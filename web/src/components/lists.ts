/** Toggle `item` in a list, keeping `order`'s order. */
export function toggled<T>(list: readonly T[], item: T, order: readonly T[]): T[] {
  const set = new Set(list);
  if (set.has(item)) set.delete(item);
  else set.add(item);
  return order.filter((value) => set.has(value));
}
