/** The frame around every dashboard page. */

import type { ComponentChildren } from "preact";
import type { ClusterView, RegistryInfo } from "../../registry/mod.ts";

/** Props for {@linkcode Layout}. */
export interface LayoutProps {
  title: string;
  info: RegistryInfo;
  now: number;
  /** On a cluster instance: named in the header, and the page shows the cluster. */
  cluster?: ClusterView;
  children: ComponentChildren;
}

/** HTML skeleton with the stylesheet, header and the live-updates script. */
export function Layout({ title, info, now, cluster, children }: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{title}</title>
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href={`/assets/dashboard.css?v=${info.version}`} />
        <script src={`/assets/dashboard.js?v=${info.version}`} defer />
      </head>
      <body
        data-heartbeat-ms={info.heartbeatMs}
        data-evict-after={info.evictAfter}
        data-server-now={now}
        data-started-at={info.startedAt}
        data-cluster={cluster ? "true" : undefined}
      >
        <header class="top">
          <a class="brand" href="/">
            p2pchat <span>registry</span>
          </a>
          <span class="meta">
            v{info.version} · protocol {info.protocol} · epoch <code>{info.epoch}</code> · peers on
            {" "}
            <code>{info.listen}</code>
            {cluster && (
              <>
                {" "}· instance <code>{cluster.instance}</code> · list epoch{" "}
                <code id="list-epoch">{cluster.list.epoch}</code>
              </>
            )}
          </span>
          <span id="live" class="live" data-state="static" title="Live updates need JavaScript">
            static
          </span>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
