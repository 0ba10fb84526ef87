#!/usr/bin/env python3
"""Side-by-side SFTP throughput and server CPU: ringway (release build) against OpenSSH's sshd + sftp-server.

A first, scripted version of the perf harness (issue 4 replaces it with a Rust binary and more cases). It starts
both servers on loopback (ringway on 2224 with its REST API on 18090, sshd on 2223 with its own config and keys),
moves a file of SIZE_MIB (default 1024) up and down with the OpenSSH `sftp` client under aes128-gcm and
chacha20-poly1305, interleaving the servers RUNS times (default 3), checks every file's sha256, and prints
medians: MB/s and server CPU-seconds per GiB (user + system of the whole server process tree), with ratios.

Run as root (sshd logs in as root with a key): `cargo build --release -p ringway && perf/sftp_vs_openssh.py`.
Needs openssh-server (`apt-get install openssh-server`).
"""
import json, os, shutil, subprocess, sys, time, urllib.request, base64, statistics, hashlib

B = os.environ.get('BENCH_DIR', '/tmp/ringway-bench')
RW = os.path.join(os.environ.get('CARGO_TARGET_DIR', '/var/cache/ringway/target'), 'release', 'ringway')
os.makedirs(B, exist_ok=True)
if not os.path.exists('/usr/sbin/sshd'):
    sys.exit('openssh-server is required: apt-get install openssh-server')
SIZE = int(os.environ.get('SIZE_MIB', '1024')) << 20
RUNS = int(os.environ.get('RUNS', '3'))
CIPHERS = ['aes128-gcm@openssh.com', 'chacha20-poly1305@openssh.com']

def sh(*a, **k):
    return subprocess.run(a, check=True, **k)

def cpu(pid):
    f = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    tck = os.sysconf('SC_CLK_TCK')
    return sum(int(x) for x in f[11:15]) / tck  # utime stime cutime cstime

for d in ['rw', 'rwhome', 'osshhome', 'dl']:
    shutil.rmtree(f'{B}/{d}', ignore_errors=True); os.makedirs(f'{B}/{d}')
if not os.path.exists(f'{B}/key'):
    sh('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', f'{B}/key')
    sh('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', f'{B}/hostkey')
pub = open(f'{B}/key.pub').read().strip()
open(f'{B}/authorized_keys', 'w').write(pub + '\n')
src = f'{B}/src.bin'
if not os.path.exists(src) or os.path.getsize(src) != SIZE:
    with open(src, 'wb') as f:
        for _ in range(SIZE >> 20):
            f.write(os.urandom(1 << 20))
src_sha = hashlib.sha256(open(src, 'rb').read()).hexdigest()

# OpenSSH
open(f'{B}/sshd_config', 'w').write(f"""Port 2223
ListenAddress 127.0.0.1
HostKey {B}/hostkey
AuthorizedKeysFile {B}/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile {B}/sshd.pid
Subsystem sftp /usr/lib/openssh/sftp-server
""")
os.makedirs('/run/sshd', exist_ok=True)
sshd = subprocess.Popen(['/usr/sbin/sshd', '-D', '-f', f'{B}/sshd_config', '-E', f'{B}/sshd.log'])
# ringway
env = dict(os.environ, RINGWAY_DEFAULT_ADMIN_USERNAME='admin', RINGWAY_DEFAULT_ADMIN_PASSWORD='pw',
           RINGWAY_SFTPD__BINDINGS__0__PORT='2224', RINGWAY_SFTPD__BINDINGS__0__ADDRESS='127.0.0.1',
           RINGWAY_HTTPD__BINDINGS__0__PORT='18090')
rw = subprocess.Popen([RW, 'serve', '--config-dir', f'{B}/rw', '--log-file', 'ringway.log'], env=env)
time.sleep(2)
tok = json.load(urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:18090/api/v2/token',
      headers={'Authorization': 'Basic ' + base64.b64encode(b'admin:pw').decode()})))['access_token']
req = urllib.request.Request('http://127.0.0.1:18090/api/v2/users', method='POST',
      data=json.dumps({'username': 'bench', 'status': 1, 'home_dir': f'{B}/rwhome', 'public_keys': [pub],
                       'permissions': {'/': ['*']}}).encode(), headers={'Authorization': f'Bearer {tok}'})
urllib.request.urlopen(req)

servers = {'ringway': (2224, 'bench', rw.pid, f'{B}/rwhome'), 'openssh': (2223, 'root', sshd.pid, f'{B}/osshhome')}

def transfer(server, cipher, direction):
    port, user, pid, home = servers[server]
    remote = f'{home}/f.bin' if server == 'openssh' else '/f.bin'
    batch = f'put {src} {remote}\n' if direction == 'up' else f'get {remote} {B}/dl/f.bin\n'
    c0 = cpu(pid); t0 = time.time()
    r = subprocess.run(['sftp', '-F', '/dev/null', '-q', '-b', '-', '-P', str(port), '-c', cipher, '-i', f'{B}/key',
                        '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes',
                        f'{user}@127.0.0.1'], input=batch.encode(), capture_output=True)
    t = time.time() - t0
    time.sleep(0.3)
    c = cpu(pid) - c0
    if r.returncode != 0:
        print(server, cipher, direction, r.stderr.decode(), file=sys.stderr); sys.exit(1)
    return t, c

res = {}
try:
    for cipher in CIPHERS:
        for direction in ['up', 'down']:
            for run in range(RUNS):
                for server in ['ringway', 'openssh']:
                    t, c = transfer(server, cipher, direction)
                    res.setdefault((server, cipher, direction), []).append((t, c))
            # integrity of the last transfers
            if direction == 'up':
                for s in servers:
                    f = f'{servers[s][3]}/f.bin'
                    assert hashlib.sha256(open(f, 'rb').read()).hexdigest() == src_sha, f'{s} upload differs'
            else:
                assert hashlib.sha256(open(f'{B}/dl/f.bin', 'rb').read()).hexdigest() == src_sha
finally:
    rw.terminate(); sshd.terminate()
gib = SIZE / (1 << 30)
print(f'| case | ringway MB/s | OpenSSH MB/s | ratio | ringway CPU-s/GiB | OpenSSH CPU-s/GiB | ratio |')
print('|---|---|---|---|---|---|---|')
for cipher in CIPHERS:
    for direction in ['up', 'down']:
        row = {}
        for s in servers:
            v = res[(s, cipher, direction)]
            t = statistics.median(x[0] for x in v); c = statistics.median(x[1] for x in v)
            row[s] = (SIZE / t / 1e6, c / gib)
        print(f"| {direction} {cipher.split('@')[0]} | {row['ringway'][0]:.0f} | {row['openssh'][0]:.0f} | "
              f"{row['ringway'][0]/row['openssh'][0]:.2f} | {row['ringway'][1]:.2f} | {row['openssh'][1]:.2f} | "
              f"{row['ringway'][1]/row['openssh'][1]:.2f} |")
print('load:', open('/proc/loadavg').read().strip(), '| runs:', RUNS, '| size MiB:', SIZE >> 20)
