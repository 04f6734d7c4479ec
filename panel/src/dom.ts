// Building the page from data: every string becomes a text node, so that a
// run named like markup shows as those characters and runs nothing. The panel
// never sets innerHTML (lint forbids it in panel/).
export type Child = Node | string | null | false;

interface Props {
  className?: string;
  title?: string;
  type?: string;
  disabled?: boolean;
  dataset?: Record<string, string>;
  onClick?: () => void;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.title) node.title = props.title;
  if (props.type && node instanceof HTMLButtonElement) node.type = props.type as 'button';
  if (props.disabled !== undefined && 'disabled' in node) node.disabled = props.disabled;
  Object.assign(node.dataset, props.dataset);
  if (props.onClick) node.addEventListener('click', props.onClick);
  node.append(...children.filter((child): child is Node | string => child !== null && child !== false));
  return node;
}

// The element with this id, which the page (index.html) must have.
export function byId<T extends HTMLElement>(id: string, type: { new (): T }): T {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return node;
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(...children.filter((child): child is Node | string => child !== null && child !== false));
}
