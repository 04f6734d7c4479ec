// SVG elements from data, as dom.ts builds HTML ones: attributes set one by
// one and text as text nodes (nothing inline for the CSP to refuse).
const NS = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number> = {},
  ...children: Array<Node | string>
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

// A tooltip, as SVG gives one: a <title> child.
export const tip = (text: string): SVGTitleElement => svg('title', {}, text);
