import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The chart check (scripts/check-helm.sh) can only be trusted if its checker rejects what the
 * API server would: these manifests are each wrong in one way and must fail, the valid one pass.
 */
const checker = execFileSync('bash', [path.join(__dirname, 'check-helm.sh'), '--tools'], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
}).trim();
const dir = mkdtempSync(path.join(os.tmpdir(), 'manifest-check-'));

function check(name: string, yaml: string): { status: number | null; stderr: string } {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  const r = spawnSync(checker, [file], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

const deployment = (containerExtra: string, specExtra = '') => `
# Source: a comment helm template prints
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2${specExtra}
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: web
          image: web:1
          ports: [{ name: http, containerPort: 8080 }]${containerExtra}
`;

describe('manifest checker (deploy/checker)', () => {
  it('accepts a valid manifest', () => {
    const r = check(
      'valid',
      deployment('\n          readinessProbe: { httpGet: { path: /, port: http } }'),
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('rejects an unknown field', () => {
    const r = check(
      'unknown',
      deployment('\n          readinessProbes: { httpGet: { path: /, port: http } }'),
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unknown field "readinessProbes"/);
  });

  it('rejects a value of the wrong type', () => {
    const r = check('type', deployment('', '\n  minReadySeconds: soon'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/minReadySeconds.*int32|cannot unmarshal string into Go struct field/);
  });

  it('rejects a probe on a port name the container does not declare', () => {
    const r = check('port', deployment('\n          livenessProbe: { tcpSocket: { port: grpc } }'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/probe port "grpc"/);
  });

  it('rejects a kind it does not know rather than passing it unchecked', () => {
    const r = check('kind', 'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w }\n');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/kind not known/);
  });
});
