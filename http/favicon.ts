/** The icon both web pages use. */

/** Three linked nodes: peers talking directly. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<g stroke="#2f6fde" stroke-width="3"><line x1="8" y1="24" x2="24" y2="24"/><line x1="8" y1="24" x2="16" y2="9"/>
<line x1="24" y1="24" x2="16" y2="9"/></g>
<g fill="#1f9d55"><circle cx="16" cy="8" r="5"/><circle cx="7" cy="24" r="5"/><circle cx="25" cy="24" r="5"/></g>
</svg>`;
