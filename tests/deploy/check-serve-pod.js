#!/usr/bin/env node
// Runs the container of the Deployment ttg-serve of a kustomize build as
// its pod would run it, on this machine: the built ttg with the container's
// args (its --bind and --port moved to 127.0.0.1 and a free port) and its
// Redis user and password (the password of the Secret key it names), against
// a redis-server on a Unix socket started with the ACL file that the Redis
// pod's acl.sh wrote (check-manifests.sh, step 5). Then:
//   - the readiness probe's path answers 200 (serve logged in as its user);
//   - /api/jobs holds a number at every valueLocation of the build's
//     metrics-api triggers (the all-jobs ScaledObject);
//   - Redis stopped: the readiness path answers 503 and the liveness path
//     still 200, so a Redis outage makes serve unready, never restarted.
//
//   node check-serve-pod.js --ttg PATH --build BUILD.yaml --aclfile FILE
//     --dir DIR --password ROLE=PASSWORD...
// Exits 0 when every check holds, 1 with a line per problem otherwise.
'use strict';

const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const YAML = require('yaml');

function parseArgs(argv) {
  const o = { passwords: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--password') {
      const [role, ...pw] = argv[++i].split('=');
      o.passwords[role] = pw.join('=');
    } else if (['--ttg', '--build', '--aclfile', '--dir'].includes(a)) {
      o[a.slice(2)] = argv[++i];
    } else {
      throw new Error(`unknown argument ${a}`);
    }
  }
  for (const k of ['ttg', 'build', 'aclfile', 'dir']) {
    if (!o[k]) throw new Error(`--${k} is required`);
  }
  return o;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function get(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return { status: res.status, body: await res.text() };
  } catch (e) {
    return { status: 0, body: String(e) };
  }
}

// Polls until `ok(response)` or the deadline; returns the last response.
async function until(url, ok, seconds) {
  const deadline = Date.now() + seconds * 1000;
  let r;
  do {
    r = await get(url);
    if (ok(r)) return r;
    await sleep(100);
  } while (Date.now() < deadline);
  return r;
}

function probePath(c, probe) {
  const p = c[probe];
  return p && p.httpGet ? p.httpGet.path : undefined;
}

function flagValue(args, flag) {
  const i = args.indexOf(flag);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : undefined;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const problems = [];
  const objects = YAML.parseAllDocuments(fs.readFileSync(o.build, 'utf8')).map((d) => d.toJS())
    .filter(Boolean);
  const serve = objects.find((x) => x.kind === 'Deployment' && x.metadata.name === 'ttg-serve');
  if (!serve) return ['no Deployment ttg-serve in the build'];
  const c = serve.spec.template.spec.containers.find((x) => (x.args || [])[0] === 'serve');
  if (!c) return ['Deployment/ttg-serve has no container running ttg serve'];
  const env = Object.fromEntries((c.env || []).map((e) => [e.name, e]));
  const user = env.TTG_REDIS_USER && env.TTG_REDIS_USER.value;
  const ref = env.TTG_REDIS_PASSWORD && (env.TTG_REDIS_PASSWORD.valueFrom || {}).secretKeyRef;
  const role = ref && (/^([a-z]+)-password$/.exec(ref.key) || [])[1];
  if (!user || !role || o.passwords[role] === undefined) {
    return [`ttg serve's user ${user} or password key ${ref && ref.key} is not one of the ACL file's`];
  }
  const locations = objects.filter((x) => x.kind === 'ScaledObject')
    .flatMap((x) => x.spec.triggers || []).filter((t) => t.type === 'metrics-api')
    .map((t) => t.metadata.valueLocation);
  const ready = probePath(c, 'readinessProbe');
  const live = probePath(c, 'livenessProbe');

  const sock = path.join(o.dir, 'serve-redis.sock');
  const redis = spawn('redis-server', ['--port', '0', '--unixsocket', sock, '--aclfile', o.aclfile,
    '--save', '', '--appendonly', 'no', '--dir', o.dir], { stdio: 'ignore' });
  // The pod's args, on loopback and a free port; the pod's URL replaced by
  // the socket, its user and password as the pod gets them.
  const args = c.args.slice();
  const set = (flag, value) => {
    const i = args.indexOf(flag);
    if (i >= 0) args[i + 1] = value; else args.push(flag, value);
  };
  const podPort = flagValue(args, '--port');
  set('--bind', '127.0.0.1');
  set('--port', '0');
  const serveEnv = { PATH: process.env.PATH, TTG_REDIS_URL: `unix://${sock}`,
    TTG_REDIS_USER: user, TTG_REDIS_PASSWORD: o.passwords[role], LOG_FORMAT: 'json' };
  let proc;
  try {
    const deadline = Date.now() + 10000;
    while (!fs.existsSync(sock) && Date.now() < deadline) await sleep(50);
    if (!fs.existsSync(sock)) return ['redis-server did not start'];
    proc = spawn(o.ttg, args, { env: serveEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => { out += d; });
    proc.stderr.on('data', (d) => { err += d; });
    const started = Date.now();
    while (!/serving (http:\/\/\S+)/.test(out) && proc.exitCode === null &&
      Date.now() - started < 10000) {
      await sleep(50);
    }
    const m = /serving (http:\/\/\S+)/.exec(out);
    if (!m) return [`ttg ${args.join(' ')} did not start: ${err.trim()}`];
    const base = m[1].replace(/\/$/, '');
    let r = await until(base + ready, (x) => x.status === 200, 20);
    if (r.status !== 200) {
      problems.push(`readiness ${ready} answered ${r.status} (${r.body.trim()}): serve as ` +
        `${user} did not reach Redis`);
    }
    r = await get(base + '/api/jobs');
    let jobs = {};
    try {
      jobs = JSON.parse(r.body);
    } catch (e) {
      problems.push(`/api/jobs is not JSON: ${r.body.slice(0, 200)}`);
    }
    for (const loc of locations) {
      const v = loc.split('.').reduce((x, k) => (x === undefined || x === null ? x : x[k]), jobs);
      if (typeof v !== 'number') {
        problems.push(`the ScaledObject's valueLocation ${loc} is not a number in /api/jobs: ` +
          `${JSON.stringify(v)}`);
      }
    }
    redis.kill();
    r = await until(base + ready, (x) => x.status === 503, 20);
    if (r.status !== 503) {
      problems.push(`Redis stopped, readiness ${ready} still answered ${r.status}`);
    }
    r = await get(base + live);
    if (r.status !== 200) {
      problems.push(`Redis stopped, liveness ${live} answered ${r.status}: the kubelet would ` +
        'restart serve');
    }
    if (problems.length === 0) {
      console.log(`ttg serve as ${user} (pod port ${podPort}): ${ready} 200, /api/jobs has ` +
        `${locations.join(', ') || 'no valueLocation'}; Redis stopped: ${ready} 503, ` +
        `${live} 200: ok`);
    }
  } finally {
    if (proc && proc.exitCode === null) proc.kill();
    if (redis.exitCode === null) redis.kill();
  }
  return problems;
}

main().then((problems) => {
  for (const p of problems) console.log(`serve pod: ${p}`);
  process.exitCode = problems.length ? 1 : 0;
}, (e) => {
  console.error(`check-serve-pod: ${e.message}`);
  process.exitCode = 2;
});
