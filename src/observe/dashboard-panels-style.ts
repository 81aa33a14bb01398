/**
 * @module
 * Styles of the dashboard's newer panels (alerts, the request monitor, failover
 * analytics, spend), inlined after {@link DASHBOARD_CSS}. Two columns from 1000 px, one
 * below; the request table hides its secondary columns on a phone.
 */

/**
 * CSS of the panels.
 *
 * @example
 * ```ts
 * const html = `<style>${DASHBOARD_CSS}${DASHBOARD_PANELS_CSS}</style>`;
 * ```
 */
export const DASHBOARD_PANELS_CSS = `
.alerts { background: var(--card); border: 1px solid var(--bad); border-left: 6px solid var(--bad); border-radius: 8px;
  padding: 8px 14px; margin-bottom: 14px; display: grid; gap: 4px; }
.alert { overflow-wrap: anywhere; }
.alert strong { color: var(--bad); }
.panels { display: grid; grid-template-columns: minmax(0, 1fr); gap: 14px; margin-bottom: 14px; }
@media (min-width: 1000px) {
  .panels { grid-template-columns: minmax(0, 1.7fr) minmax(0, 1fr); grid-template-areas: "monitor analytics"; }
  .monitor { grid-area: monitor; }
  #analytics { grid-area: analytics; }
}
.panel { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 0; }
.panel h2 { font-size: 15px; margin: 0 0 6px; }
.panel h3 { font-size: 11px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; margin: 10px 0 4px; }
.panel-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 12px; margin-bottom: 6px; }
.panel-head h2 { margin: 0; }
.filters { display: flex; flex-wrap: wrap; gap: 6px; font-size: 12px; }
.filters select, .filters input { font: inherit; padding: 2px 4px; background: var(--bg); color: var(--fg); border: 1px solid var(--line); border-radius: 4px; max-width: 9em; }
.feed { font-size: 11px; font-weight: 600; }
.feed[data-state="live"] { color: var(--ok); }
.feed[data-state="reconnecting"], .feed[data-state="unavailable"] { color: var(--bad); }
.table-wrap { overflow: auto; max-height: 420px; }
table.requests { width: 100%; border-collapse: collapse; font-size: 12px; }
table.requests th { text-align: left; color: var(--muted); font-weight: 600; font-size: 11px; position: sticky; top: 0; background: var(--card); padding: 3px 6px; }
table.requests td { padding: 3px 6px; border-top: 1px solid var(--line); white-space: nowrap; }
table.requests td.num, table.requests th.num { text-align: right; }
table.requests td.served, table.requests td.model, table.requests td.caller { max-width: 16em; overflow: hidden; text-overflow: ellipsis; }
tr.st-error td.status { color: var(--bad); font-weight: 700; }
tr.st-abandoned td.status { color: var(--warn); font-weight: 700; }
.pos { display: inline-block; color: #fff; font-size: 10px; font-weight: 700; border-radius: 4px; padding: 0 4px; margin-right: 4px; }
.dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 2px; }
.dot.ok { background: var(--ok); }
.dot.bad { background: var(--bad); }
.dot.skip { background: var(--line); }
.chain { margin-bottom: 12px; }
.chain-head { margin-bottom: 4px; overflow-wrap: anywhere; }
.share { display: flex; height: 14px; border-radius: 4px; overflow: hidden; background: var(--line); }
.share span { display: block; height: 100%; }
.share-chart { width: 100%; height: auto; display: block; margin-top: 4px; }
.share-chart text { fill: var(--muted); font-size: 8px; }
.legend { flex-wrap: wrap; margin-top: 4px; }
.legend span { overflow-wrap: anywhere; }
.share-value { color: var(--fg); }
.cost-row { display: grid; grid-template-columns: minmax(0, 1.2fr) minmax(0, 1fr) auto; align-items: center; gap: 8px; font-size: 12px; }
.cost-name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.cost-bar { height: 8px; background: var(--line); border-radius: 4px; overflow: hidden; }
.cost-bar i { display: block; height: 100%; background: var(--p50); }
.cost-value { text-align: right; font-weight: 600; }
@media (max-width: 600px) {
  body { padding: 10px; }
  .wide-only { display: none; }
  .targets { grid-template-columns: minmax(0, 1fr); }
  .grid { grid-template-columns: repeat(2, 1fr); }
}
`;
