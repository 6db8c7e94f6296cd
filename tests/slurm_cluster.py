"""A real single-node Slurm for the tests: munge, MariaDB, slurmdbd, slurmctld and slurmd on localhost.

Needs root and Debian's slurm-wlm, slurmdbd, munge and mariadb-server (installed by .ci/run). Everything lives in
one temporary folder except munge's socket, which Slurm's accounting connection expects at /run/munge, and a copy
of slurm.conf at /etc/slurm/slurm.conf: the slurm-jobstep plugin removes SLURM_CONF from the environment of its
nested srun, which then looks at the default path (an existing file there is put back afterwards).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
DAEMONS = ("slurmctld", "slurmd", "slurmdbd", "munged", "mariadbd", "mariadb-install-db")
CLUSTER, ACCOUNT, PARTITION = "trialrna", "trialrna_test", "debug"


def missing_programs() -> list[str]:
    return [name for name in DAEMONS if shutil.which(name) is None]


def _wait(check, *, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise TimeoutError(f"{what} did not come up within {timeout:.0f} s")


def _quiet(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


class SlurmCluster:
    """Start with :meth:`start`, stop with :meth:`stop`; :attr:`env` points Slurm's commands at it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {**os.environ, "SLURM_CONF": str(root / "etc/slurm.conf"),
                    "TRIALRNA_SLURM_ACCOUNT": ACCOUNT, "TRIALRNA_SLURM_PARTITION": PARTITION}
        self.processes: list[subprocess.Popen] = []

    def _write_configs(self) -> None:
        # The node declares more CPUs than the machine has (config_overrides), so that rules asking for more
        # threads than a 2-core test machine offers still get scheduled, as they would on a real node.
        root, cpus = self.root, max(8, os.cpu_count() or 2)
        for folder in ("etc", "state", "spool", "log", "run", "db", "munge"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        (root / "etc/slurm.conf").write_text(f"""ClusterName={CLUSTER}
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort=36817
SlurmdPort=36818
AuthType=auth/munge
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/run/slurmctld.pid
SlurmdPidFile={root}/run/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=36819
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
SlurmdParameters=config_overrides
NodeName=localhost CPUs={cpus} RealMemory=16000 State=UNKNOWN
PartitionName={PARTITION} Nodes=localhost Default=YES MaxTime=INFINITE State=UP
""")
        dbd = root / "etc/slurmdbd.conf"
        dbd.write_text(f"""AuthType=auth/munge
DbdHost=localhost
DbdPort=36819
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=33306
StorageUser=root
StorageLoc=slurm_acct_db
PidFile={root}/run/slurmdbd.pid
LogFile={root}/log/slurmdbd.log
""")
        dbd.chmod(0o600)
        key = root / "munge/munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)

    def start(self) -> None:
        root, env = self.root, self.env
        self._write_configs()
        SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
        if SYSTEM_CONF.exists():
            shutil.copy2(SYSTEM_CONF, root / "etc/system-slurm.conf.backup")
        shutil.copy2(root / "etc/slurm.conf", SYSTEM_CONF)
        Path("/run/munge").mkdir(parents=True, exist_ok=True)
        subprocess.run(["munged", f"--key-file={root}/munge/munge.key", f"--pid-file={root}/munge/munged.pid",
                        f"--log-file={root}/munge/munged.log", f"--seed-file={root}/munge/seed", "--force"],
                       check=True, env=env)
        subprocess.run(["mariadb-install-db", f"--datadir={root}/db", "--user=root",
                        "--auth-root-authentication-method=normal"], check=True, capture_output=True, env=env)
        log = open(root / "log/mariadb.log", "w")
        self.processes.append(subprocess.Popen(
            ["mariadbd", f"--datadir={root}/db", f"--socket={root}/run/mysql.sock", f"--pid-file={root}/run/db.pid",
             "--user=root", "--port=33306", "--bind-address=127.0.0.1"], stdout=log, stderr=log))
        _wait(lambda: _quiet(["mariadb", f"--socket={root}/run/mysql.sock", "-uroot", "-e", "select 1"],
                             env).returncode == 0, what="MariaDB")
        subprocess.run(["slurmdbd"], check=True, env=env)
        _wait(lambda: _quiet(["sacctmgr", "-n", "list", "cluster"], env).returncode == 0, what="slurmdbd")
        for command in (["add", "cluster", CLUSTER], ["add", "account", ACCOUNT, f"cluster={CLUSTER}"],
                        ["add", "user", "root", f"account={ACCOUNT}", f"cluster={CLUSTER}"]):
            _quiet(["sacctmgr", "-i", *command], env)
        subprocess.run(["slurmctld"], check=True, env=env)
        subprocess.run(["slurmd"], check=True, env=env)
        _wait(lambda: "idle" in _quiet(["sinfo", "-h", "-o", "%T"], env).stdout, what="slurmd (node idle)")

    def stop(self) -> None:
        for pid_file in ("run/slurmd.pid", "run/slurmctld.pid", "run/slurmdbd.pid", "munge/munged.pid"):
            path = self.root / pid_file
            if path.exists():
                try:
                    os.kill(int(path.read_text().strip()), signal.SIGTERM)
                except (ProcessLookupError, ValueError):
                    pass
        for process in self.processes:
            process.terminate()
            process.wait(timeout=30)
        backup = self.root / "etc/system-slurm.conf.backup"
        if backup.exists():
            shutil.copy2(backup, SYSTEM_CONF)
        else:
            SYSTEM_CONF.unlink(missing_ok=True)
