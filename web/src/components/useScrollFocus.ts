import { useEffect, useRef } from "react";

/** A box that may scroll is reachable by keyboard only while its content overflows: then it
 *  joins the tab order (tabindex 0, so arrow keys scroll it); otherwise it stays out of it. */
export function useScrollFocus<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const update = () => {
      const scrolls =
        element.scrollHeight > element.clientHeight + 1 ||
        element.scrollWidth > element.clientWidth + 1;
      if (scrolls) element.tabIndex = 0;
      else element.removeAttribute("tabindex");
    };
    update();
    const observer = new ResizeObserver(update);
    observer.observe(element);
    for (const child of Array.from(element.children)) observer.observe(child);
    const mutations = new MutationObserver(update);
    mutations.observe(element, { childList: true, subtree: true });
    return () => {
      observer.disconnect();
      mutations.disconnect();
    };
  }, []);
  return ref;
}
