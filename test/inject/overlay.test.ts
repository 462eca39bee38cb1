import { expect } from 'chai';
import { checkOverlay, findOverride, overlayContainer, overlayUid } from '../../src/inject/overlay.js';
import { deepFreeze } from './harness.js';

const injected = () =>
  deepFreeze({
    name: 'istio-proxy',
    image: 'envoy:1',
    args: ['--a'],
    env: [
      { name: 'A', value: '1' },
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ],
    ports: [{ containerPort: 15090, name: 'prom' }],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2' } },
    readinessProbe: { httpGet: { path: '/ready', port: 15021 }, periodSeconds: 15 },
    securityContext: { runAsUser: 1337, capabilities: { drop: ['ALL'] } },
    volumeMounts: [{ name: 'istio-envoy', mountPath: '/etc/istio/proxy' }],
  });

describe('custom injection: the pod own istio-proxy laid over the injected one', () => {
  it('keeps the injected image for "auto", an empty image and no image; another image wins', () => {
    for (const image of ['auto', '', undefined, null]) expect(overlayContainer(injected(), { name: 'istio-proxy', image }).image).to.equal('envoy:1');
    expect(overlayContainer(injected(), { image: 'mine:2' }).image).to.equal('mine:2');
  });

  it('merges objects key by key, and replaces lists that have no merge key (args)', () => {
    const out = overlayContainer(injected(), { resources: { requests: { cpu: '1' } }, securityContext: { runAsUser: 2000, capabilities: { add: ['NET_ADMIN'] } }, args: ['--b'] });
    expect(out.resources).to.deep.equal({ requests: { cpu: '1', memory: '128Mi' }, limits: { cpu: '2' } });
    expect(out.securityContext).to.deep.equal({ runAsUser: 2000, capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] } });
    expect(out.args).to.deep.equal(['--b']);
  });

  it('replaces a list item with the same key whole (never value and valueFrom together), appends the others', () => {
    const out = overlayContainer(injected(), {
      env: [
        { name: 'POD', value: 'fixed' },
        { name: 'B', value: '2' },
      ],
      ports: [{ containerPort: 15090, name: 'metrics' }],
      volumeMounts: [{ name: 'certs', mountPath: '/etc/certs' }],
    });
    expect(out.env).to.deep.equal([
      { name: 'A', value: '1' },
      { name: 'POD', value: 'fixed' },
      { name: 'B', value: '2' },
    ]);
    expect(out.ports).to.deep.equal([{ containerPort: 15090, name: 'metrics' }]);
    expect(out.volumeMounts).to.deep.equal([
      { name: 'istio-envoy', mountPath: '/etc/istio/proxy' },
      { name: 'certs', mountPath: '/etc/certs' },
    ]);
  });

  it('replaces a probe handler rather than keeping two, and keeps the other probe fields', () => {
    expect(overlayContainer(injected(), { readinessProbe: { exec: { command: ['true'] } } }).readinessProbe).to.deep.equal({ periodSeconds: 15, exec: { command: ['true'] } });
    expect(overlayContainer(injected(), { readinessProbe: { periodSeconds: 5 } }).readinessProbe).to.deep.equal({ httpGet: { path: '/ready', port: 15021 }, periodSeconds: 5 });
  });

  it('takes null as absent (a Go struct would), never renames the container, and changes neither input', () => {
    const over = deepFreeze({ name: 'x', image: null, resources: { limits: null }, lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } } });
    const out = overlayContainer(injected(), over);
    expect(out.name).to.equal('istio-proxy');
    expect(out.resources).to.deep.equal(injected().resources);
    expect(out.lifecycle).to.deep.equal({ preStop: { exec: { command: ['sleep', '5'] } } });
  });

  it('treats keys like __proto__ and constructor as plain fields', () => {
    const over = JSON.parse('{"__proto__": {"polluted": true}, "constructor": [1]}') as Record<string, unknown>;
    const out = overlayContainer(injected(), over);
    expect(Object.prototype.hasOwnProperty.call(out, '__proto__')).to.equal(true);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    expect(out.constructor).to.deep.equal([1]);
  });

  it('reads the uid the proxy runs as (not root, which iptables cannot exempt)', () => {
    expect(overlayUid({ securityContext: { runAsUser: 1500 } })).to.equal(1500);
    expect(overlayUid({ securityContext: { runAsUser: 0 } })).to.equal(undefined);
    expect(overlayUid({ securityContext: { runAsUser: '1500' } })).to.equal(undefined);
    expect(overlayUid({})).to.equal(undefined);
  });

  it('names what the merge cannot take', () => {
    expect(checkOverlay({ env: 'A=b', volumeMounts: [{ name: 'x' }], image: 3 })).to.deep.equal(['env: must be a list', 'volumeMounts[0].mountPath: required', 'image: must be a string']);
  });

  it('finds the pod own istio-proxy in containers, then in init containers', () => {
    expect(findOverride({ containers: [{ name: 'app' }, { name: 'istio-proxy', image: 'auto' }] }, 'istio-proxy')).to.deep.equal({
      list: 'containers',
      index: 1,
      fields: { name: 'istio-proxy', image: 'auto' },
      errors: [],
    });
    expect(findOverride({ containers: [{ name: 'app' }], initContainers: [{ name: 'istio-proxy', env: 1 }] }, 'istio-proxy')).to.deep.equal({
      list: 'initContainers',
      index: 0,
      fields: { name: 'istio-proxy', env: 1 },
      errors: ['spec.initContainers[0].env: must be a list'],
    });
    expect(findOverride({ containers: [{ name: 'app' }] }, 'istio-proxy')).to.equal(undefined);
  });
});
