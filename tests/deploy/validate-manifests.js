#!/usr/bin/env node
// Checks the output of `kustomize build` offline: every object against the
// Kubernetes and KEDA schemas of the npm packages kubernetes-models and
// @kubernetes-models/keda, with fields that the schema does not know
// reported as errors (a typo is not silently ignored, as it would be by the
// API server's default of dropping it); then the references between the
// objects and the rules TTG's manifests must keep (docs/DEPLOY.md).
//
//   node validate-manifests.js [options] BUILD.yaml
//     --label NAME       name to print for this build
//     --external K/N     an object the build may refer to without holding it
//                        (repeatable), e.g. Secret/ttg-redis
//     --podman           only what podman 4.3's kube play runs
//     --base BASE.yaml   compare the build's Pods with the base's templates
//     --ttg PATH         check that every ttg flag in the args exists
//
// Exits 0 when nothing is wrong, 1 with one line per problem otherwise.
'use strict';

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const YAML = require('yaml');

// apiVersion/kind -> the compiled JSON-schema validator of that kind.
const SCHEMAS = {
  'v1/ConfigMap': 'kubernetes-models/_schemas/IoK8sApiCoreV1ConfigMap',
  'v1/Namespace': 'kubernetes-models/_schemas/IoK8sApiCoreV1Namespace',
  'v1/PersistentVolumeClaim': 'kubernetes-models/_schemas/IoK8sApiCoreV1PersistentVolumeClaim',
  'v1/Pod': 'kubernetes-models/_schemas/IoK8sApiCoreV1Pod',
  'v1/Secret': 'kubernetes-models/_schemas/IoK8sApiCoreV1Secret',
  'v1/Service': 'kubernetes-models/_schemas/IoK8sApiCoreV1Service',
  'apps/v1/Deployment': 'kubernetes-models/_schemas/IoK8sApiAppsV1Deployment',
  'apps/v1/StatefulSet': 'kubernetes-models/_schemas/IoK8sApiAppsV1StatefulSet',
  'autoscaling/v2/HorizontalPodAutoscaler':
    'kubernetes-models/_schemas/IoK8sApiAutoscalingV2HorizontalPodAutoscaler',
  'batch/v1/Job': 'kubernetes-models/_schemas/IoK8sApiBatchV1Job',
  'policy/v1/PodDisruptionBudget': 'kubernetes-models/_schemas/IoK8sApiPolicyV1PodDisruptionBudget',
  'networking.k8s.io/v1/NetworkPolicy':
    'kubernetes-models/_schemas/IoK8sApiNetworkingV1NetworkPolicy',
  'keda.sh/v1alpha1/ScaledObject': '@kubernetes-models/keda/_schemas/KedaShV1alpha1ScaledObject',
  'keda.sh/v1alpha1/TriggerAuthentication':
    '@kubernetes-models/keda/_schemas/KedaShV1alpha1TriggerAuthentication',
};

// What podman 4.3's kube play creates something from.
const PODMAN_KINDS = new Set(['Pod', 'Deployment', 'PersistentVolumeClaim', 'ConfigMap']);

function parseArgs(argv) {
  const o = { label: '', external: new Set(), podman: false, base: '', ttg: '', file: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--label') o.label = argv[++i];
    else if (a === '--external') o.external.add(argv[++i]);
    else if (a === '--podman') o.podman = true;
    else if (a === '--base') o.base = argv[++i];
    else if (a === '--ttg') o.ttg = argv[++i];
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else o.file = a;
  }
  if (!o.file) throw new Error('usage: validate-manifests.js [options] BUILD.yaml');
  if (!o.label) o.label = o.file;
  return o;
}

function loadObjects(file) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'));
  const out = [];
  for (const d of docs) {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
    const o = d.toJS();
    if (o !== null && o !== undefined) out.push(o);
  }
  return out;
}

const idOf = (o) => `${o.kind}/${(o.metadata || {}).name}`;

// Wraps `value` so that every property the validator reads is recorded in
// `seen` (object -> set of keys). Keys never read are not in the schema.
function tracked(value, seen) {
  if (value === null || typeof value !== 'object') return value;
  const keys = new Set();
  seen.set(value, keys);
  return new Proxy(value, {
    get(target, key) {
      if (typeof key === 'string') keys.add(key);
      return tracked(target[key], seen);
    },
    has(target, key) {
      if (typeof key === 'string') keys.add(key);
      return key in target;
    },
    ownKeys(target) {
      for (const k of Reflect.ownKeys(target)) if (typeof k === 'string') keys.add(k);
      return Reflect.ownKeys(target);
    },
  });
}

function unknownFields(value, seen, path, out) {
  if (value === null || typeof value !== 'object') return;
  const keys = seen.get(value);
  if (!keys) return;  // the schema allows anything here
  for (const k of Object.keys(value)) {
    const p = Array.isArray(value) ? `${path}/${k}` : `${path}/${k}`;
    if (!Array.isArray(value) && !keys.has(k)) out.push(`unknown field ${p}`);
    else unknownFields(value[k], seen, p, out);
  }
}

// The compiled validators carry no messages: say what each keyword means.
function describe(e) {
  const p = e.params || {};
  switch (e.keyword) {
    case 'type': return `must be ${p.type}`;
    case 'enum': return `must be one of ${JSON.stringify(p.allowedValues)}`;
    case 'required': return `must have the field ${p.missingProperty}`;
    case 'format': return `must be of format ${p.format}`;
    default: return `fails ${e.keyword} ${JSON.stringify(p)}`;
  }
}

function checkSchema(o, problems) {
  const key = `${o.apiVersion}/${o.kind}`;
  const mod = SCHEMAS[key];
  if (!mod) {
    problems.push(`${idOf(o)}: no schema for ${key} (add it to validate-manifests.js)`);
    return;
  }
  // The schemas are not among the packages' exports: load them by path.
  const [pkg, ...rest] = mod.startsWith('@') ? [mod.split('/').slice(0, 2).join('/'),
    ...mod.split('/').slice(2)] : mod.split('/');
  const { validate } = require(path.join(path.dirname(require.resolve(pkg)), ...rest) + '.js');
  const seen = new Map();
  const ok = validate(tracked(o, seen));
  if (!ok) {
    for (const e of validate.errors || []) {
      problems.push(`${idOf(o)}: ${e.instancePath || '/'} ${describe(e)}`);
    }
    return;
  }
  const unknown = [];
  unknownFields(o, seen, '', unknown);
  for (const u of unknown) problems.push(`${idOf(o)}: ${u}`);
}

// The pod spec and labels of a workload, or null.
function podTemplate(o) {
  if (o.kind === 'Pod') return { spec: o.spec, labels: (o.metadata || {}).labels || {} };
  const t = o.spec && o.spec.template;
  if (!t) return null;
  return { spec: t.spec, labels: (t.metadata || {}).labels || {} };
}

function matches(selector, labels) {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels || {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of selector.matchExpressions || []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    if (e.operator === 'In' && !(has && e.values.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && e.values.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

function flagValue(args, flag) {
  const i = args.indexOf(flag);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : undefined;
}

function check(objects, opts) {
  const problems = [];
  const byId = new Map();
  for (const o of objects) {
    if (!o.apiVersion || !o.kind || !o.metadata || !o.metadata.name) {
      problems.push(`an object without apiVersion, kind or metadata.name: ${JSON.stringify(o)}`);
      continue;
    }
    if (byId.has(idOf(o))) problems.push(`${idOf(o)}: defined twice`);
    byId.set(idOf(o), o);
    checkSchema(o, problems);
    if (opts.podman && !PODMAN_KINDS.has(o.kind)) {
      problems.push(`${idOf(o)}: podman 4.3's kube play does not run a ${o.kind}`);
    }
  }

  const has = (kind, name) => byId.has(`${kind}/${name}`) || opts.external.has(`${kind}/${name}`);
  const keyOf = (kind, name, key, where) => {
    if (!has(kind, name)) {
      problems.push(`${where}: refers to ${kind}/${name}, which the build does not hold`);
      return;
    }
    const target = byId.get(`${kind}/${name}`);
    if (!target || key === undefined) return;
    const keys = Object.keys(target.data || {}).concat(Object.keys(target.stringData || {}));
    if (!keys.includes(key)) problems.push(`${where}: ${kind}/${name} has no key ${key}`);
  };
  const workloads = objects.filter((o) => podTemplate(o));

  for (const o of objects) {
    const where = idOf(o);
    const tpl = podTemplate(o);
    if (tpl) {
      // A Job's selector is made by the Job controller.
      const own = o.kind === 'Job' ? o.spec.selector : o.spec.selector || {};
      if (o.kind !== 'Pod' && own && !matches(own, tpl.labels)) {
        problems.push(`${where}: spec.selector does not match the template's labels`);
      }
      const spec = tpl.spec || {};
      for (const v of spec.volumes || []) {
        if (v.configMap) keyOf('ConfigMap', v.configMap.name, undefined, `${where} volume ${v.name}`);
        if (v.secret) keyOf('Secret', v.secret.secretName, undefined, `${where} volume ${v.name}`);
        if (v.persistentVolumeClaim) {
          keyOf('PersistentVolumeClaim', v.persistentVolumeClaim.claimName, undefined,
            `${where} volume ${v.name}`);
        }
      }
      const volumeNames = new Set((spec.volumes || []).map((v) => v.name));
      for (const t of (o.spec.volumeClaimTemplates || [])) volumeNames.add(t.metadata.name);
      for (const c of (spec.containers || []).concat(spec.initContainers || [])) {
        const cw = `${where} container ${c.name}`;
        for (const m of c.volumeMounts || []) {
          if (!volumeNames.has(m.name)) problems.push(`${cw}: mounts unknown volume ${m.name}`);
        }
        for (const e of c.env || []) {
          const vf = e.valueFrom || {};
          if (vf.secretKeyRef) keyOf('Secret', vf.secretKeyRef.name, vf.secretKeyRef.key, cw);
          if (vf.configMapKeyRef) {
            keyOf('ConfigMap', vf.configMapKeyRef.name, vf.configMapKeyRef.key, cw);
          }
        }
        for (const e of c.envFrom || []) {
          if (e.configMapRef) keyOf('ConfigMap', e.configMapRef.name, undefined, cw);
          if (e.secretRef) keyOf('Secret', e.secretRef.name, undefined, cw);
        }
        checkTtgContainer(o, spec, c, cw, problems, opts);
      }
    }
    if (o.kind === 'Service' && o.spec.selector) {
      if (!workloads.some((w) => matches({ matchLabels: o.spec.selector }, podTemplate(w).labels))) {
        problems.push(`${where}: selects no pod of the build`);
      }
    }
    if (o.kind === 'PodDisruptionBudget' || o.kind === 'NetworkPolicy') {
      const sel = o.kind === 'NetworkPolicy' ? o.spec.podSelector : o.spec.selector;
      if (!workloads.some((w) => matches(sel, podTemplate(w).labels))) {
        problems.push(`${where}: selects no pod of the build`);
      }
    }
    if (o.kind === 'TriggerAuthentication') {
      for (const r of o.spec.secretTargetRef || []) keyOf('Secret', r.name, r.key, where);
    }
    if (o.kind === 'ScaledObject') checkScaledObject(o, byId, has, problems);
    if (o.kind === 'HorizontalPodAutoscaler') checkHpa(o, byId, problems);
  }
  checkScalers(objects, problems);
  checkRedisUsers(objects, byId, problems);
  checkTls(objects, byId, problems);
  if (opts.base) compareWithBase(objects, loadObjects(opts.base), problems);
  return problems;
}

// Redis's ACL users (docs/DEPLOY.md, "Secrets"): the user a ttg command
// logs in as, by the role that command needs (`ttg acl`); the Secret key of
// each role's password is ROLE-password.
const ROLE_OF_COMMAND = {
  worker: 'worker',
  submit: 'submitter', cancel: 'submitter', retry: 'submitter', cleanup: 'submitter',
  recover: 'submitter',
  status: 'monitor', jobs: 'monitor', results: 'monitor', dead: 'monitor', verify: 'monitor',
  serve: 'monitor',
};
// The users the ACL file must hold: ttg acl's roles and the administrator.
const ACL_ROLES = ['worker', 'submitter', 'monitor', 'keda', 'admin'];
const roleOfKey = (key) => (/^([a-z]+)-password$/.exec(key || '') || [])[1];

function envEntry(c, name) {
  return (c.env || []).find((e) => e.name === name);
}

function secretKeyOf(c, name) {
  const e = envEntry(c, name);
  return e && e.valueFrom && e.valueFrom.secretKeyRef ? e.valueFrom.secretKeyRef.key : undefined;
}

// The text of a Secret's key, when the build holds it.
function secretText(byId, name, key) {
  const s = byId.get(`Secret/${name}`);
  if (!s) return undefined;
  if (s.stringData && s.stringData[key] !== undefined) return s.stringData[key];
  if (s.data && s.data[key] !== undefined) return Buffer.from(s.data[key], 'base64').toString();
  return undefined;
}

// The file a container sees at `file`: a ConfigMap key through a mount.
function configFile(spec, c, file, byId) {
  for (const m of c.volumeMounts || []) {
    const dir = m.mountPath.replace(/\/$/, '');
    if (!file.startsWith(dir + '/')) continue;
    const v = (spec.volumes || []).find((x) => x.name === m.name);
    const cm = v && v.configMap && byId.get(`ConfigMap/${v.configMap.name}`);
    if (cm) return (cm.data || {})[file.slice(dir.length + 1)];
  }
  return undefined;
}

const mountOf = (c, dir) => (c.volumeMounts || []).find((m) => m.mountPath === dir);

function checkRedisUsers(objects, byId, problems) {
  for (const o of objects) {
    const spec = (podTemplate(o) || {}).spec || {};
    for (const c of spec.containers || []) {
      const where = `${idOf(o)} container ${c.name}`;
      const args = c.args || [];
      const isTtg = /(^|\/)ttg(:|$)/.test(c.image || '') || c.image === 'ttg';
      const role = isTtg && !args.includes('--static') ? ROLE_OF_COMMAND[args[0]] : undefined;
      if (role) {
        const user = (envEntry(c, 'TTG_REDIS_USER') || {}).value;
        const key = secretKeyOf(c, 'TTG_REDIS_PASSWORD');
        if (user !== `ttg-${role}`) {
          problems.push(`${where}: ttg ${args[0]} needs TTG_REDIS_USER ttg-${role} (role ` +
            `${role}), not ${user === undefined ? 'none' : user}`);
        }
        if (key !== `${role}-password`) {
          problems.push(`${where}: TTG_REDIS_PASSWORD must come from the Secret key ` +
            `${role}-password (the user ttg-${role}), not ${key === undefined ? 'none' : key}`);
        }
      }
      if ((c.command || []).concat(args).some((a) => /(^|\/)redis-server( |$)/.test(a))) {
        checkRedisServer(o, spec, c, where, byId, problems);
      }
    }
    if (o.kind === 'TriggerAuthentication') {
      const refs = o.spec.secretTargetRef || [];
      const param = (p) => refs.find((r) => r.parameter === p);
      const user = param('username');
      const password = param('password');
      if (password && !user) {
        problems.push(`${idOf(o)}: a password without a username: KEDA would log in as ` +
          "Redis's default user, which is off");
      }
      if (user && password) {
        const name = secretText(byId, user.name, user.key);
        const role = roleOfKey(password.key);
        if (name !== undefined && name !== `ttg-${role}`) {
          problems.push(`${idOf(o)}: username ${name} with the password of key ${password.key} ` +
            `(the user ttg-${role})`);
        }
        if (role !== 'keda') {
          problems.push(`${idOf(o)}: KEDA's password must be the key keda-password, not ` +
            `${password.key}`);
        }
      }
    }
  }
}

// TLS (components/redis-tls): when ttg-config's URL is rediss://, Redis
// serves TLS only, its probe speaks TLS, every ttg container that connects
// has TTG_REDIS_CA on a file of a Secret volume it mounts, and KEDA's
// TriggerAuthentication enables TLS with a CA (and the ScaledObject leaves
// out enableTLS, which KEDA refuses beside them). A redis:// URL with a
// TLS-only Redis is refused too.
function checkTls(objects, byId, problems) {
  const cfg = byId.get('ConfigMap/ttg-config');
  if (!cfg) return;
  const data = cfg.data || {};
  const tls = /^rediss:\/\//.test(data.TTG_REDIS_URL || '');
  const secretFile = (spec, c, file) => {
    const m = (c.volumeMounts || []).find((x) => file.startsWith(x.mountPath.replace(/\/$/, '') + '/'));
    const v = m && (spec.volumes || []).find((x) => x.name === m.name);
    return Boolean(v && v.secret);
  };
  for (const o of objects) {
    const spec = (podTemplate(o) || {}).spec;
    if (!spec) continue;
    for (const c of spec.containers || []) {
      const where = `${idOf(o)} container ${c.name}`;
      const words = (c.command || []).concat(c.args || []);
      if (words.some((a) => /(^|\/)redis-server( |$)/.test(a))) {
        const tlsOnly = flagValue(words, '--tls-port') === '6379' && flagValue(words, '--port') === '0';
        if (tls && !tlsOnly) {
          problems.push(`${where}: TTG_REDIS_URL is rediss:// but Redis does not serve TLS only ` +
            '(--tls-port 6379, --port 0)');
        }
        if (!tls && tlsOnly) {
          problems.push(`${where}: Redis serves TLS only but TTG_REDIS_URL is ` +
            `${data.TTG_REDIS_URL} (rediss:// needed)`);
        }
        if (tlsOnly) {
          for (const f of ['--tls-cert-file', '--tls-key-file', '--tls-ca-cert-file']) {
            const file = flagValue(words, f);
            if (!file || !secretFile(spec, c, file)) {
              problems.push(`${where}: ${f} ${file || '(none)'} is not a file of a Secret volume`);
            }
          }
          const probe = (((c.readinessProbe || {}).exec || {}).command || []).join(' ');
          if (!/--tls\b/.test(probe) || !/--cacert\s/.test(probe)) {
            problems.push(`${where}: its readiness probe must speak TLS (redis-cli --tls ` +
              '--cacert FILE)');
          }
        }
      }
      const args = c.args || [];
      const isTtg = /(^|\/)ttg(:|$)/.test(c.image || '') || c.image === 'ttg';
      if (!tls || !isTtg || args.includes('--static') || !ROLE_OF_COMMAND[args[0]]) continue;
      const env = envEntry(c, 'TTG_REDIS_CA');
      const ca = env ? env.value : data.TTG_REDIS_CA;
      if (!ca) {
        problems.push(`${where}: TTG_REDIS_URL is rediss:// but TTG_REDIS_CA is not set: ttg ` +
          "would check Redis's certificate against the system's CAs");
      } else if (!secretFile(spec, c, ca)) {
        problems.push(`${where}: TTG_REDIS_CA ${ca} is not a file of a Secret volume it mounts`);
      }
    }
  }
  for (const o of objects) {
    if (o.kind === 'TriggerAuthentication') {
      const refs = o.spec.secretTargetRef || [];
      const param = (p) => refs.find((r) => r.parameter === p);
      const on = param('tls') && secretText(byId, param('tls').name, param('tls').key);
      if (tls && (!param('tls') || (on !== undefined && on !== 'enable') || !param('ca'))) {
        problems.push(`${idOf(o)}: TTG_REDIS_URL is rediss:// but KEDA gets no TLS: it needs ` +
          'the parameters tls (a Secret key holding "enable") and ca');
      }
      if (!tls && param('tls')) {
        problems.push(`${idOf(o)}: KEDA speaks TLS but TTG_REDIS_URL is ${data.TTG_REDIS_URL}`);
      }
    }
    if (o.kind === 'ScaledObject' && tls) {
      for (const t of o.spec.triggers || []) {
        const m = t.metadata || {};
        if (m.enableTLS !== undefined || m.unsafeSsl !== undefined) {
          problems.push(`${idOf(o)}: trigger ${t.name}: enableTLS or unsafeSsl beside the ` +
            "TriggerAuthentication's tls and ca, which KEDA refuses");
        }
      }
    }
  }
}

// Redis runs with the ACL file that an init container writes: aclfile in
// its redis.conf, no requirepass, every role's user in the file with the
// password of its own Secret key, the default user off, and a readiness
// probe that names its user.
function checkRedisServer(o, spec, c, where, byId, problems) {
  const words = (c.command || []).concat(c.args || []);
  if (words.some((w) => /--requirepass/.test(w))) {
    problems.push(`${where}: --requirepass: Redis's users come from its ACL file`);
  }
  const confPath = words.find((w) => /\.conf$/.test(w));
  const conf = confPath && configFile(spec, c, confPath, byId);
  if (conf === undefined) {
    problems.push(`${where}: no redis.conf from a ConfigMap in its command`);
    return;
  }
  if (/^\s*requirepass\b/m.test(conf)) {
    problems.push(`${where}: requirepass in ${confPath}: Redis's users come from its ACL file`);
  }
  const aclfile = (/^\s*aclfile\s+(\S+)/m.exec(conf) || [])[1];
  if (!aclfile) {
    problems.push(`${where}: ${confPath} has no aclfile: Redis would run without TTG's users`);
    return;
  }
  const dir = aclfile.replace(/\/[^/]*$/, '');
  const serverMount = mountOf(c, dir);
  const writer = (spec.initContainers || []).find((i) => {
    const m = mountOf(i, dir);
    return m && !m.readOnly && serverMount && m.name === serverMount.name;
  });
  if (!serverMount || !writer) {
    problems.push(`${where}: no init container writes ${aclfile} into a volume that Redis ` +
      'mounts there');
    return;
  }
  const iw = `${idOf(o)} init container ${writer.name}`;
  const script = (writer.command || []).concat(writer.args || [])
    .map((w) => configFile(spec, writer, w, byId)).find((t) => t !== undefined);
  if (script === undefined) {
    problems.push(`${iw}: runs no script of a ConfigMap that it mounts`);
    return;
  }
  if (!script.includes(aclfile)) problems.push(`${iw}: its script does not write ${aclfile}`);
  const defaults = script.split('\n').filter((l) => /\buser default\b/.test(l));
  if (!defaults.length || defaults.some((l) => !/\boff\b/.test(l) || /\b(on|nopass)\b/.test(
    l.replace(/.*user default/, '')))) {
    problems.push(`${iw}: the ACL file must turn the default user off ` +
      `("user default ... off"), found: ${defaults.join(' | ') || 'nothing'}`);
  }
  for (const role of ACL_ROLES) {
    const name = `${role.toUpperCase()}_PASSWORD`;
    const key = secretKeyOf(writer, name);
    if (key !== `${role}-password`) {
      problems.push(`${iw}: ${name} (the user ttg-${role}) must come from the Secret key ` +
        `${role}-password, not ${key === undefined ? 'none' : key}`);
    }
    if (!new RegExp(`\\buser ${role} "\\$\\{${name}\\b`).test(script)) {
      problems.push(`${iw}: its script writes no user for ${role} from ${name}`);
    }
  }
  const probe = ((c.readinessProbe || {}).exec || {}).command || [];
  const probeUser = (/--user\s+(\S+)/.exec(probe.join(' ')) || [])[1];
  const probeKey = secretKeyOf(c, 'REDISCLI_AUTH');
  if (!probeUser) {
    problems.push(`${where}: its readiness probe has no --user: the default user is off`);
  } else if (probeKey !== `${probeUser.replace(/^ttg-/, '')}-password`) {
    problems.push(`${where}: the probe's user ${probeUser} with REDISCLI_AUTH from the key ` +
      `${probeKey === undefined ? 'none' : probeKey}`);
  }
}

// Rules of TTG's containers: drain time within the grace period, workers of
// a Deployment that never exit when idle, Indexed Jobs for the static mode,
// and only flags that exist.
function checkTtgContainer(o, spec, c, where, problems, opts) {
  const args = c.args || [];
  if (!/(^|\/)ttg(:|$)/.test(c.image || '') && c.image !== 'ttg') return;
  if (args[0] === 'worker' && !args.includes('--static')) {
    const drain = Number(flagValue(args, '--drain-timeout') || 30);
    const grace = spec.terminationGracePeriodSeconds === undefined
      ? 30 : spec.terminationGracePeriodSeconds;
    if (!(grace > drain)) {
      problems.push(`${where}: terminationGracePeriodSeconds ${grace} must exceed ` +
        `--drain-timeout ${drain}, or SIGKILL cuts the drain short`);
    }
    if (o.kind === 'Deployment' && flagValue(args, '--idle-timeout') !== '0') {
      problems.push(`${where}: a Deployment's worker needs --idle-timeout 0 (it would exit when ` +
        'idle and be restarted for ever)');
    }
    // Its own health endpoint (docs/DEPLOY.md, "Metrics and health"): ready
    // from /readyz, restarted by /healthz only after a minute of failures
    // at least. Not in podman's build, which drops the port they name.
    if (o.kind === 'Deployment' && !opts.podman) {
      const get = (p) => (c[p] || {}).httpGet || {};
      if (get('readinessProbe').path !== '/readyz' || get('readinessProbe').port !== 'metrics') {
        problems.push(`${where}: a Deployment's worker needs a readinessProbe httpGet /readyz ` +
          'on the port metrics');
      }
      const live = c.livenessProbe || {};
      if (get('livenessProbe').path !== '/healthz' || get('livenessProbe').port !== 'metrics') {
        problems.push(`${where}: a Deployment's worker needs a livenessProbe httpGet /healthz ` +
          'on the port metrics');
      } else if ((live.failureThreshold || 3) * (live.periodSeconds || 10) < 60) {
        problems.push(`${where}: its livenessProbe restarts a worker after less than 60 s of ` +
          'failures (failureThreshold x periodSeconds): be conservative');
      }
    }
  }
  if (args[0] === 'serve') checkServe(spec, c, where, problems);
  if (args.includes('--static')) {
    if (o.kind !== 'Job' || o.spec.completionMode !== 'Indexed') {
      problems.push(`${where}: the static mode belongs in an Indexed Job`);
    } else {
      if (o.spec.backoffLimitPerIndex === undefined) {
        problems.push(`${where}: an Indexed Job needs backoffLimitPerIndex, or one failing ` +
          'index ends them all');
      }
      if (flagValue(args, '--index') !== '$(JOB_COMPLETION_INDEX)') {
        problems.push(`${where}: --index must be $(JOB_COMPLETION_INDEX)`);
      }
      if (Number(flagValue(args, '--count')) !== o.spec.completions) {
        problems.push(`${where}: --count must equal completions (${o.spec.completions})`);
      }
    }
  }
  if (opts.ttg && args.length > 0 && !args[0].startsWith('-')) {
    let help;
    try {
      help = execFileSync(opts.ttg, [args[0], '--help'], { encoding: 'utf8' });
    } catch (e) {
      problems.push(`${where}: ttg ${args[0]} --help failed: ${e.message}`);
      return;
    }
    for (const a of args.slice(1)) {
      if (!a.startsWith('--')) continue;
      const flag = a.split('=')[0];
      if (!new RegExp(`(^|[ ,])${flag.replace(/[-]/g, '\\-')}([ ,=]|$)`, 'm').test(help)) {
        problems.push(`${where}: ttg ${args[0]} has no flag ${flag}`);
      }
    }
  }
}

// A job's own workers (components/keda-job): the job's stream and TTG's
// consumer group, the Redis Service's address in the ScaledObject's
// namespace, and the two triggers: lag to scale out, pending entries to keep
// busy workers. A ScaledObject with metrics-api triggers scales the workers
// of every job instead (checkAllJobsScaledObject).
function checkScaledObject(o, byId, has, problems) {
  const where = idOf(o);
  const target = byId.get(`Deployment/${o.spec.scaleTargetRef.name}`);
  if (!target) {
    problems.push(`${where}: scales Deployment/${o.spec.scaleTargetRef.name}, not in the build`);
    return;
  }
  const job = jobOf(target, byId);
  if ((o.spec.triggers || []).some((t) => t.type === 'metrics-api')) {
    checkAllJobsScaledObject(o, target, job, byId, problems);
    return;
  }
  if (!job) problems.push(`${where}: its Deployment has no TTG_JOB: it must serve one job`);
  const modes = [];
  for (const t of o.spec.triggers || []) {
    if (t.type !== 'redis-streams') continue;
    const m = t.metadata || {};
    if (job && m.stream !== `ttg:{${job}}:tasks`) {
      problems.push(`${where}: trigger stream ${m.stream} is not the job's ttg:{${job}}:tasks`);
    }
    if (m.consumerGroup !== 'ttg-workers') {
      problems.push(`${where}: consumerGroup must be ttg-workers, not ${m.consumerGroup}`);
    }
    const host = (m.address || '').split(':')[0];
    const ns = o.metadata.namespace;
    const want = ns ? `redis.${ns}.svc.cluster.local` : 'redis';
    if (host !== want) {
      problems.push(`${where}: address ${m.address} is not the Service redis of its namespace ` +
        `(${want}:6379)`);
    }
    if (!byId.has('Service/redis')) problems.push(`${where}: no Service redis in the build`);
    if (t.authenticationRef && !has('TriggerAuthentication', t.authenticationRef.name)) {
      problems.push(`${where}: no TriggerAuthentication ${t.authenticationRef.name}`);
    }
    if (m.lagCount !== undefined) modes.push('lag');
    if (m.pendingEntriesCount !== undefined) modes.push('pending');
  }
  if (!modes.includes('lag') || !modes.includes('pending')) {
    problems.push(`${where}: needs a lagCount trigger (scale out) and a pendingEntriesCount ` +
      'trigger (keep busy workers)');
  }
  if (o.spec.minReplicaCount !== 0) problems.push(`${where}: minReplicaCount should be 0`);
}

// The job a worker Deployment serves (its TTG_JOB), or undefined: every job.
function jobOf(deployment, byId) {
  let job;
  for (const c of podTemplate(deployment).spec.containers) {
    for (const e of c.env || []) {
      if (e.name !== 'TTG_JOB') continue;
      if (e.value !== undefined) job = e.value;
      const ref = (e.valueFrom || {}).configMapKeyRef;
      const cm = ref && byId.get(`ConfigMap/${ref.name}`);
      if (cm) job = (cm.data || {})[ref.key];
    }
  }
  return job;
}

// `ttg serve` in a pod: listening on the pod's interfaces (its default,
// 127.0.0.1, would answer nothing from outside the pod), on the port the
// container declares, ready when it reaches Redis (/healthz), and alive
// whatever Redis does (liveness not on /healthz, or a Redis outage would
// restart it for nothing).
function checkServe(spec, c, where, problems) {
  const args = c.args || [];
  const bind = flagValue(args, '--bind') || '127.0.0.1';
  if (/^127\./.test(bind) || bind === 'localhost') {
    problems.push(`${where}: ttg serve listens on ${bind}: nothing outside the pod reaches it ` +
      '(--bind 0.0.0.0)');
  }
  const port = Number(flagValue(args, '--port') || 8080);
  const declared = (c.ports || []).find((p) => p.containerPort === port);
  if (!declared) {
    problems.push(`${where}: ttg serve listens on port ${port}, which the container does not ` +
      'declare');
  }
  const probePort = (probe) => {
    const p = (probe.httpGet || probe.tcpSocket || {}).port;
    if (typeof p === 'number') return p;
    const named = (c.ports || []).find((x) => x.name === p);
    return named ? named.containerPort : p;
  };
  const ready = c.readinessProbe;
  if (!ready || !ready.httpGet || ready.httpGet.path !== '/healthz') {
    problems.push(`${where}: ttg serve's readiness probe must be GET /healthz`);
  }
  for (const [name, probe] of [['readiness', ready], ['liveness', c.livenessProbe]]) {
    if (probe && probePort(probe) !== port) {
      problems.push(`${where}: its ${name} probe's port ${probePort(probe)} is not serve's ` +
        `--port ${port}`);
    }
  }
  const live = c.livenessProbe;
  if (live && live.httpGet && live.httpGet.path === '/healthz') {
    problems.push(`${where}: a liveness probe on /healthz restarts serve whenever Redis is ` +
      'unreachable; probe a path that answers without Redis (/metrics)');
  }
}

// The all-jobs autoscaler (components/keda-all-jobs): metrics-api triggers
// on the /api/jobs of the Service ttg-serve of the ScaledObject's
// namespace, on a port of that Service that reaches serve's --port; one on
// totals.backlog (scale out) and one on totals.in_flight (keep busy
// workers); the Deployment it scales serves every job.
function checkAllJobsScaledObject(o, target, job, byId, problems) {
  const where = idOf(o);
  if (job) {
    problems.push(`${where}: metrics-api on every job's backlog, but its Deployment ` +
      `${idOf(target)} serves the job ${job} (use components/keda-job's redis-streams triggers)`);
  }
  const svc = byId.get('Service/ttg-serve');
  const serve = byId.get('Deployment/ttg-serve');
  const ns = o.metadata.namespace;
  const wantHost = ns ? `ttg-serve.${ns}.svc.cluster.local` : 'ttg-serve';
  const locations = [];
  for (const t of o.spec.triggers || []) {
    if (t.type !== 'metrics-api') {
      problems.push(`${where}: trigger ${t.name} is ${t.type}: the all-jobs ScaledObject reads ` +
        'ttg serve alone');
      continue;
    }
    const m = t.metadata || {};
    const u = /^http:\/\/([^/:]+)(?::(\d+))?(\/[^?#]*)?$/.exec(m.url || '');
    if (!u) {
      problems.push(`${where}: trigger ${t.name}: url ${m.url} is not http://HOST:PORT/PATH`);
      continue;
    }
    const [, host, portText, urlPath] = u;
    const port = Number(portText || 80);
    if (host !== wantHost) {
      problems.push(`${where}: trigger ${t.name}: ${host} is not the Service ttg-serve of its ` +
        `namespace (${wantHost})`);
    }
    if (urlPath !== '/api/jobs') {
      problems.push(`${where}: trigger ${t.name}: path ${urlPath} is not /api/jobs`);
    }
    if (m.format !== undefined && m.format !== 'json') {
      problems.push(`${where}: trigger ${t.name}: format ${m.format}: /api/jobs is json`);
    }
    if (!svc || !serve) {
      problems.push(`${where}: trigger ${t.name}: no Service and Deployment ttg-serve in the build`);
    } else {
      const sp = (svc.spec.ports || []).find((p) => p.port === port);
      const c = podTemplate(serve).spec.containers.find((x) => (x.args || [])[0] === 'serve');
      const servePort = c ? Number(flagValue(c.args, '--port') || 8080) : undefined;
      let target = sp ? (sp.targetPort === undefined ? sp.port : sp.targetPort) : undefined;
      if (typeof target === 'string') {
        const named = c && (c.ports || []).find((p) => p.name === target);
        target = named ? named.containerPort : target;
      }
      if (!sp) {
        problems.push(`${where}: trigger ${t.name}: port ${port} is not a port of ` +
          'Service/ttg-serve');
      } else if (target !== servePort) {
        problems.push(`${where}: trigger ${t.name}: Service/ttg-serve's port ${port} leads to ` +
          `${target}, not to serve's --port ${servePort}`);
      }
    }
    locations.push(m.valueLocation);
  }
  if (!locations.includes('totals.backlog') || !locations.includes('totals.in_flight')) {
    problems.push(`${where}: needs a metrics-api trigger on totals.backlog (scale out) and one ` +
      `on totals.in_flight (keep busy workers), found ${locations.join(', ') || 'none'}`);
  }
  if (o.spec.minReplicaCount !== 0) problems.push(`${where}: minReplicaCount should be 0`);
}

// The HPA alternative (components/hpa-all-jobs): the workers of every job,
// on serve's two job gauges as External metrics.
function checkHpa(o, byId, problems) {
  const where = idOf(o);
  const ref = o.spec.scaleTargetRef;
  const target = ref.kind === 'Deployment' && byId.get(`Deployment/${ref.name}`);
  if (!target) {
    problems.push(`${where}: scales ${ref.kind}/${ref.name}, not a Deployment of the build`);
    return;
  }
  const job = jobOf(target, byId);
  if (job) {
    problems.push(`${where}: scales on every job's backlog, but ${idOf(target)} serves the job ${job}`);
  }
  const names = (o.spec.metrics || []).filter((m) => m.type === 'External')
    .map((m) => m.external.metric.name);
  for (const want of ['ttg_backlog_chunks', 'ttg_job_chunks_in_flight']) {
    if (!names.includes(want)) problems.push(`${where}: no External metric ${want}`);
  }
}

// One autoscaler per Deployment: KEDA's ScaledObject makes an HPA of its
// own, and two HPAs on one Deployment fight over its replica count.
function checkScalers(objects, problems) {
  const by = new Map();
  for (const o of objects) {
    if (o.kind !== 'ScaledObject' && o.kind !== 'HorizontalPodAutoscaler') continue;
    const ref = o.spec.scaleTargetRef || {};
    const key = `${ref.kind || 'Deployment'}/${ref.name}`;
    by.set(key, (by.get(key) || []).concat([idOf(o)]));
  }
  for (const [target, scalers] of by) {
    if (scalers.length > 1) {
      problems.push(`${target} is scaled by both ${scalers.join(' and ')}: give each its own ` +
        'Deployment, or use one of them');
    }
  }
}

// Each Pod of the build must equal the base's template of the same name
// (StatefulSet redis -> Pod redis, Job ttg-submit -> Pod ttg-submit), and
// each Deployment the base's, except for images, the StatefulSet's claim
// template, which becomes a claim of its own, a node name taken from
// spec.nodeName, which may become a plain value (podman has no nodes), a
// Deployment's container ports, which podman publishes on the host (its
// replicas would collide), with the Deployment's HTTP probes on the port so
// dropped (they name it; and the local demo runs an image built before
// the worker answered them), and the restart policy OnFailure of a Pod with
// init containers made from a template that restarts Always (podman 4.3
// restarts a finished init container under Always).
function compareWithBase(objects, base, problems) {
  const strip = (spec, dropVolume, dropPorts) => {
    const s = JSON.parse(JSON.stringify(spec));
    if ((s.initContainers || []).length &&
      [undefined, 'Always', 'OnFailure'].includes(s.restartPolicy)) {
      delete s.restartPolicy;
    }
    for (const c of s.initContainers || []) delete c.image;
    for (const c of s.containers || []) {
      delete c.image;
      if (dropPorts) {
        delete c.ports;
        for (const p of ['readinessProbe', 'livenessProbe']) {
          if (c[p] && c[p].httpGet && c[p].httpGet.port === 'metrics') delete c[p];
        }
      }
      for (const e of c.env || []) {
        const f = (e.valueFrom || {}).fieldRef;
        if ((f && f.fieldPath === 'spec.nodeName') || (e.name === 'NODE_NAME' && e.value)) {
          e.value = '(the node)';
          delete e.valueFrom;
        }
      }
    }
    if (dropVolume) s.volumes = (s.volumes || []).filter((v) => v.name !== dropVolume);
    return s;
  };
  const same = (a, b) => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
  const baseByName = new Map(base.filter((o) => podTemplate(o)).map((o) => [o.metadata.name, o]));
  for (const o of objects) {
    const tpl = podTemplate(o);
    if (!tpl) continue;
    const b = baseByName.get(o.metadata.name);
    if (!b) {
      problems.push(`${idOf(o)}: no workload of that name in the base`);
      continue;
    }
    const claims = (b.spec.volumeClaimTemplates || []).map((t) => t.metadata.name);
    const btpl = podTemplate(b);
    const ports = o.kind === 'Deployment';
    if (!same(strip(tpl.spec, claims[0], ports), strip(btpl.spec, claims[0], ports))) {
      problems.push(`${idOf(o)}: its spec differs from the base's ${idOf(b)} beyond images`);
    }
    if (!same(tpl.labels, btpl.labels)) {
      problems.push(`${idOf(o)}: its labels differ from the base's ${idOf(b)} template`);
    }
  }
}

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  }
  return v;
}

function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`validate-manifests: ${e.message}`);
    return 2;
  }
  const objects = loadObjects(opts.file);
  const problems = check(objects, opts);
  if (problems.length) {
    for (const p of problems) console.log(`${opts.label}: ${p}`);
    return 1;
  }
  const kinds = {};
  for (const o of objects) kinds[o.kind] = (kinds[o.kind] || 0) + 1;
  const summary = Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(', ');
  console.log(`${opts.label}: ok, ${objects.length} objects (${summary})`);
  return 0;
}

process.exitCode = main();
