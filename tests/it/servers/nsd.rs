//! A real authoritative DNS server (NSD) serving zones signed by a real
//! signer (ldns-signzone), on 127.0.0.1 at a free port, started and
//! stopped by the test. Debian packages `nsd` and `ldnsutils`.
//!
//! Each signed zone gets its own KSK and ZSK (ECDSA P-256); the KSK's
//! `.key` (DNSKEY) and `.ds` files are kept for `--trust-anchor`. A child
//! zone's DS is added to its parent before the parent is signed, so a
//! chain of trust runs from the parent's KSK down.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How a zone is signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Signing {
    /// Not signed (an insecure delegation when its parent has no DS).
    Unsigned,
    /// Signed with signatures that expired in 2020.
    Expired,
    /// Signed, valid until 2030, then one base64 character of the RRSIG over this owner's
    /// RRset of this type changed: that RRset is bogus.
    CorruptRrsig {
        /// Owner name, relative to the origin (`_25._tcp.mx`).
        owner: &'static str,
        /// Type covered (`TLSA`).
        rtype: &'static str,
    },
}

/// One zone to serve.
#[derive(Clone, Debug)]
pub(crate) struct Zone {
    /// The origin, without trailing dot (`dane.test`).
    pub origin: &'static str,
    /// Records after the SOA/NS, relative names allowed.
    pub records: String,
    /// How it is signed.
    pub signing: Signing,
}

/// A running NSD; dropping it stops NSD and deletes the files.
pub(crate) struct Nsd {
    /// Where it answers (UDP and TCP).
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
    child: Child,
    zones: Vec<Zone>,
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .expect("run a DNS tool (apt install nsd ldnsutils)");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A port free for both UDP and TCP on 127.0.0.1.
fn free_port() -> u16 {
    for _ in 0..50 {
        let tcp = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = tcp.local_addr().unwrap().port();
        if UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return port;
        }
    }
    panic!("no free port for NSD");
}

impl Nsd {
    /// Signs `zones` (children before parents: a child's DS goes into its
    /// parent) and starts NSD on them.
    pub(crate) fn start(zones: &[Zone]) -> Nsd {
        let dir = tempfile::tempdir().unwrap();
        write_zones(dir.path(), zones);
        let port = free_port();
        let conf = dir.path().join("nsd.conf");
        let mut text = format!(
            "server:\n  ip-address: 127.0.0.1@{port}\n  port: {port}\n  zonesdir: {d}\n  pidfile: {d}/nsd.pid\n  database: \"\"\n  zonelistfile: {d}/zone.list\n  xfrdfile: {d}/xfrd.state\n  xfrdir: {d}\n  username: \"\"\n  chroot: \"\"\n  verbosity: 1\n  logfile: {d}/nsd.log\n  server-count: 1\nremote-control:\n  control-enable: no\n",
            d = dir.path().display()
        );
        for z in zones {
            let file = if z.signing == Signing::Unsigned {
                format!("{}.zone", z.origin)
            } else {
                format!("{}.zone.signed", z.origin)
            };
            text.push_str(&format!(
                "zone:\n  name: {}\n  zonefile: {file}\n",
                z.origin
            ));
        }
        std::fs::write(&conf, text).unwrap();
        let child = Command::new("nsd")
            .arg("-d")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nsd (apt install nsd)");
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let nsd = Nsd {
            addr,
            dir,
            child,
            zones: zones.to_vec(),
        };
        nsd.wait_ready();
        nsd
    }

    /// Answers SOA of the first zone, or panics after 10 s with NSD's log.
    fn wait_ready(&self) {
        let start = Instant::now();
        let origin = self.zones.first().map_or(".", |z| z.origin);
        while start.elapsed() < Duration::from_secs(10) {
            let out = Command::new("dig")
                .args(["+short", "+time=1", "+tries=1", "-p"])
                .arg(self.addr.port().to_string())
                .arg("@127.0.0.1")
                .args([origin, "SOA"])
                .output();
            if out.is_ok_and(|o| !o.stdout.is_empty()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let log = std::fs::read_to_string(self.dir.path().join("nsd.log")).unwrap_or_default();
        panic!("NSD did not answer in 10 s:\n{log}");
    }

    /// A file with the KSK DNSKEY records of every signed zone whose
    /// parent is not served signed (the islands): `--trust-anchor`.
    pub(crate) fn dnskey_anchor(&self) -> PathBuf {
        self.anchor_file("key", "anchor.key")
    }

    /// The same anchors as DS records.
    pub(crate) fn ds_anchor(&self) -> PathBuf {
        self.anchor_file("ds", "anchor.ds")
    }

    fn anchor_file(&self, ext: &str, name: &str) -> PathBuf {
        let mut text = String::new();
        for z in self.islands() {
            let base =
                std::fs::read_to_string(self.dir.path().join(format!("{}.ksk", z.origin))).unwrap();
            text.push_str(
                &std::fs::read_to_string(self.dir.path().join(format!("{}.{ext}", base.trim())))
                    .unwrap(),
            );
        }
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Signed zones whose parent is not among the signed zones.
    fn islands(&self) -> Vec<&Zone> {
        self.zones
            .iter()
            .filter(|z| z.signing != Signing::Unsigned)
            .filter(|z| {
                !self.zones.iter().any(|p| {
                    p.signing != Signing::Unsigned && z.origin.ends_with(&format!(".{}", p.origin))
                })
            })
            .collect()
    }

    /// `delv` (BIND 9) validating `name type` against the islands' KSKs:
    /// independent ground truth. Returns its whole output.
    pub(crate) fn delv(&self, name: &str, rtype: &str) -> String {
        let mut anchors = String::from("trust-anchors {\n");
        for z in self.islands() {
            let base =
                std::fs::read_to_string(self.dir.path().join(format!("{}.ksk", z.origin))).unwrap();
            let key = std::fs::read_to_string(self.dir.path().join(format!("{}.key", base.trim())))
                .unwrap();
            // `zone. IN DNSKEY 257 3 13 B64 ;{id …}` → static-key form.
            let fields: Vec<&str> = key.split(';').next().unwrap().split_whitespace().collect();
            let at = fields.iter().position(|f| *f == "DNSKEY").unwrap();
            anchors.push_str(&format!(
                "  {}. static-key {} {} {} \"{}\";\n",
                z.origin,
                fields[at + 1],
                fields[at + 2],
                fields[at + 3],
                fields[at + 4..].join("")
            ));
        }
        anchors.push_str("};\n");
        let file = self.dir.path().join("delv.anchors");
        std::fs::write(&file, anchors).unwrap();
        let out = Command::new("delv")
            .arg(format!("@{}", self.addr.ip()))
            .args(["-p", &self.addr.port().to_string()])
            .arg("-a")
            .arg(&file)
            .arg(format!("+root={}", self.islands()[0].origin))
            .args([name, rtype])
            .output()
            .expect("run delv (apt install bind9-dnsutils)");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    /// Rewrites the zones (same keys) and makes NSD reload them (SIGHUP
    /// re-reads zone files).
    pub(crate) fn reload(&mut self, zones: &[Zone]) {
        write_zones(self.dir.path(), zones);
        self.zones = zones.to_vec();
        run(Command::new("kill").args(["-HUP", &self.child.id().to_string()]));
        // NSD answers from the new files once loaded; give it a moment.
        std::thread::sleep(Duration::from_millis(1500));
    }
}

impl Drop for Nsd {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes (and signs) every zone into `dir`, children first.
fn write_zones(dir: &Path, zones: &[Zone]) {
    let mut order: Vec<&Zone> = zones.iter().collect();
    // Deeper zones first, so their DS exists when the parent is signed.
    order.sort_by_key(|z| std::cmp::Reverse(z.origin.matches('.').count()));
    for z in order {
        let mut text = format!(
            "$ORIGIN {o}.\n$TTL 300\n@ IN SOA ns.{o}. hostmaster.{o}. {serial} 3600 600 86400 300\n@ IN NS ns.{o}.\nns IN A 127.0.0.1\n{}\n",
            z.records,
            o = z.origin,
            serial = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
                % 4_000_000_000
        );
        // DS records of signed children.
        for c in zones.iter().filter(|c| {
            c.signing != Signing::Unsigned
                && c.origin.ends_with(&format!(".{}", z.origin))
                && c.origin
                    .trim_end_matches(&format!(".{}", z.origin))
                    .find('.')
                    .is_none()
        }) {
            let base = std::fs::read_to_string(dir.join(format!("{}.ksk", c.origin))).unwrap();
            text.push_str(
                &std::fs::read_to_string(dir.join(format!("{}.ds", base.trim()))).unwrap(),
            );
            text.push('\n');
        }
        let file = dir.join(format!("{}.zone", z.origin));
        std::fs::write(&file, text).unwrap();
        if z.signing == Signing::Unsigned {
            continue;
        }
        let (ksk, zsk) = keys(dir, z.origin);
        let (inception, expiration) = if z.signing == Signing::Expired {
            ("20190101000000", "20200101000000")
        } else {
            ("20200101000000", "20300101000000")
        };
        let signed = dir.join(format!("{}.zone.signed", z.origin));
        run(Command::new("ldns-signzone")
            .current_dir(dir)
            .args(["-n", "-i", inception, "-e", expiration, "-f"])
            .arg(&signed)
            .arg(&file)
            .args([&ksk, &zsk]));
        if let Signing::CorruptRrsig { owner, rtype } = &z.signing {
            corrupt(&signed, &format!("{owner}.{}.", z.origin), rtype);
        }
    }
}

/// The zone's KSK and ZSK key file bases, made once per directory.
fn keys(dir: &Path, origin: &str) -> (String, String) {
    let ksk_file = dir.join(format!("{origin}.ksk"));
    let zsk_file = dir.join(format!("{origin}.zsk"));
    if let (Ok(k), Ok(z)) = (
        std::fs::read_to_string(&ksk_file),
        std::fs::read_to_string(&zsk_file),
    ) {
        return (k.trim().to_owned(), z.trim().to_owned());
    }
    let ksk = run(Command::new("ldns-keygen").current_dir(dir).args([
        "-a",
        "ECDSAP256SHA256",
        "-k",
        origin,
    ]));
    let zsk =
        run(Command::new("ldns-keygen")
            .current_dir(dir)
            .args(["-a", "ECDSAP256SHA256", origin]));
    std::fs::write(&ksk_file, ksk.trim()).unwrap();
    std::fs::write(&zsk_file, zsk.trim()).unwrap();
    (ksk.trim().to_owned(), zsk.trim().to_owned())
}

/// Flips one base64 character in the RRSIG over `owner`'s `rtype` set.
fn corrupt(signed: &Path, owner: &str, rtype: &str) {
    let text = std::fs::read_to_string(signed).unwrap();
    let mut done = false;
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if !done && f.len() > 12 && f[0] == owner && f[3] == "RRSIG" && f[4] == rtype {
                done = true;
                let sig = f[f.len() - 1];
                let mut chars: Vec<char> = sig.chars().collect();
                chars[4] = if chars[4] == 'A' { 'B' } else { 'A' };
                let new: String = chars.into_iter().collect();
                l.replacen(sig, &new, 1)
            } else {
                l.to_owned()
            }
        })
        .collect();
    assert!(done, "no RRSIG {rtype} at {owner} in {}", signed.display());
    std::fs::write(signed, lines.join("\n") + "\n").unwrap();
}
