/** The cluster panel on the home page: the engine's state and every instance. */

import type { ClusterView } from "../../registry/mod.ts";
import { formatAge } from "../assets/format.ts";

/** Shown only for a registry that is a cluster instance. */
export function InstancesPanel({ cluster, now }: { cluster: ClusterView; now: number }) {
  const up = cluster.engine.status === "up";
  return (
    <section class="instances" aria-label="Cluster">
      <h2>
        Cluster{" "}
        <span id="engine" class="engine" data-state={cluster.engine.status}>
          {up ? "engine up" : "engine down"}
        </span>
      </h2>
      <p id="engine-reason" class="hint" hidden={up}>
        {up
          ? ""
          : `Redis does not answer (${
            cluster.engine.reason ?? "no reason given"
          }): peers held here are still served; new registrations are refused until it is back.`}
      </p>
      <div class="table-wrap">
        <table id="instances-table">
          <thead>
            <tr>
              <th scope="col">Instance</th>
              <th scope="col">Address</th>
              <th scope="col">Peers</th>
              <th scope="col">Last seen</th>
              <th scope="col">Healthy</th>
            </tr>
          </thead>
          <tbody id="instances">
            {cluster.instances.map((instance) => (
              <tr
                key={instance.name}
                data-name={instance.name}
                data-healthy={String(instance.healthy)}
                data-self={String(instance.name === cluster.instance)}
              >
                <td class="name">
                  {instance.name}
                  {instance.name === cluster.instance && <span class="hint">(this one)</span>}
                </td>
                <td class="address">{instance.address}</td>
                <td class="peers">{instance.peers}</td>
                <td class="seen">{formatAge(now - instance.lastSeenAt)}</td>
                <td class="healthy">{instance.healthy ? "yes" : "no"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
