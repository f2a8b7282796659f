//! A real authoritative DNS server (hickory-server) on 127.0.0.1, UDP and
//! TCP on one port, serving the test zone `example.test.`, a zone that
//! always answers SERVFAIL (`broken.test.`), and REFUSED for everything
//! else; or any one zone given as zone-file text ([`serve_zone`]); plus a
//! UDP socket that never answers.
//!
//! Every address in the zone is on loopback, so a probe that follows these
//! records never leaves the machine. The server runs on the test's tokio
//! runtime and stops when the returned value is dropped.

use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::sync::Arc;
use std::time::Duration;

use hickory_server::net::runtime::TokioRuntimeProvider;
use hickory_server::proto::rr::{LowerName, Name, RecordType};
use hickory_server::proto::serialize::txt::Parser;
use hickory_server::server::{Request, RequestInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{
    AuthLookup, AxfrPolicy, Catalog, LookupControlFlow, LookupOptions, ZoneHandler, ZoneType,
};
use hickory_server::Server;
use tokio::net::{TcpListener, UdpSocket};

/// The test zone. Each block is one case of `tests/it/dns.rs`.
pub(crate) const EXAMPLE_TEST_ZONE: &str = r#"
$ORIGIN example.test.
$TTL 300
@         IN SOA  ns.example.test. hostmaster.example.test. 1 3600 600 86400 300
@         IN NS   ns.example.test.
ns        IN A    127.0.0.1

; Three exchanges, served out of preference order. mx3 is "down": its
; address is a loopback one where nothing listens.
multi     IN MX 20 mx2.example.test.
multi     IN MX 30 mx3.example.test.
multi     IN MX 10 mx1.example.test.
mx1       IN A    127.0.0.1
mx2       IN A    127.0.0.2
mx3       IN A    127.0.0.3

; Two exchanges at preference 10, listed b before a.
equal     IN MX 10 mx-b.example.test.
equal     IN MX 20 mx1.example.test.
equal     IN MX 10 mx-a.example.test.
mx-a      IN A    127.0.0.10
mx-b      IN A    127.0.0.11

; No MX, only addresses: the implicit MX of RFC 5321 section 5.1.
implicit  IN A    127.0.0.20
implicit  IN AAAA ::1

; Null MX (RFC 7505); the A record must not be used for mail.
nullmx    IN MX 0 .
nullmx    IN A    127.0.0.21

; A null MX next to a real one, which RFC 7505 forbids.
mixednull IN MX 0 .
mixednull IN MX 10 mx1.example.test.

; The exchange is an alias.
aliased   IN MX 10 alias.example.test.
alias     IN CNAME mx1.example.test.

; One exchange with both families.
dual      IN MX 10 mx-dual.example.test.
mx-dual   IN A    127.0.0.1
mx-dual   IN AAAA ::1

; An exchange that exists without addresses, and one that does not exist.
noaddr    IN MX 10 mx-none.example.test.
noaddr    IN MX 20 mx-missing.example.test.
mx-none   IN TXT  "no address here"

; The exchange is an address written as a name.
literal   IN MX 10 127.0.0.9.

; The name exists, with neither MX nor addresses.
nomail    IN TXT  "v=spf1 -all"

; The exchange lives in a zone whose server fails.
brokenmx  IN MX 10 mx.broken.test.

; More A records than fit a UDP answer: the resolver must retry over TCP.
big       IN MX 10 mx-big.example.test.
"#;

/// How many A records `mx-big.example.test` has (127.0.1.1 …).
pub(crate) const BIG_RRSET: u8 = 120;

/// The zone whose every answer is SERVFAIL.
pub(crate) const BROKEN_ZONE: &str = "broken.test.";

/// A running server; dropping it stops it.
pub(crate) struct DnsServer {
    addr: SocketAddr,
    // Dropping the server drops its JoinSet, which aborts the tasks and
    // closes the sockets.
    _server: Server<Catalog>,
}

impl DnsServer {
    /// The address (UDP and TCP) the server listens on.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// Starts the server for `example.test.` and `broken.test.` on
/// 127.0.0.1, UDP and TCP on the same free port.
pub(crate) async fn example_test() -> DnsServer {
    let mut zone = EXAMPLE_TEST_ZONE.to_owned();
    for i in 1..=BIG_RRSET {
        zone.push_str(&format!("mx-big IN A 127.0.1.{i}\n"));
    }
    let mut catalog = Catalog::new();
    add_zone(&mut catalog, "example.test.", &zone);
    let broken = Name::from_ascii(BROKEN_ZONE).unwrap();
    catalog.upsert(
        LowerName::new(&broken),
        vec![Arc::new(ServFailZone {
            origin: LowerName::new(&broken),
        })],
    );
    serve(catalog).await
}

/// Starts a server for one zone given as zone-file text (RFC 1035 §5)
/// whose `$ORIGIN` is `origin`; names outside it are REFUSED.
pub(crate) async fn serve_zone(origin: &str, zone: &str) -> DnsServer {
    let mut catalog = Catalog::new();
    add_zone(&mut catalog, origin, zone);
    serve(catalog).await
}

/// Parses `zone` and adds it to `catalog` as a primary zone.
fn add_zone(catalog: &mut Catalog, origin: &str, zone: &str) {
    let origin = Name::from_ascii(origin).unwrap();
    let (origin, records) = Parser::new(zone, None, Some(origin)).parse().unwrap();
    let handler = InMemoryZoneHandler::<TokioRuntimeProvider>::new(
        origin.clone(),
        records,
        ZoneType::Primary,
        AxfrPolicy::Deny,
    )
    .unwrap();
    catalog.upsert(LowerName::new(&origin), vec![Arc::new(handler)]);
}

/// Serves `catalog` on 127.0.0.1, UDP and TCP on the same free port.
async fn serve(catalog: Catalog) -> DnsServer {
    let (udp, tcp) = bind_udp_and_tcp().await;
    let addr = udp.local_addr().unwrap();
    let mut server = Server::new(catalog);
    server.register_socket(udp);
    server.register_listener(tcp, Duration::from_secs(5), 64);
    DnsServer {
        addr,
        _server: server,
    }
}

/// A UDP socket on 127.0.0.1 that receives queries and never answers:
/// the resolver that does not answer. Keep it alive for the test.
pub(crate) fn silent_resolver() -> StdUdpSocket {
    StdUdpSocket::bind("127.0.0.1:0").unwrap()
}

/// Binds UDP on a free port, then TCP on the same port; retries when
/// another process holds that TCP port.
async fn bind_udp_and_tcp() -> (UdpSocket, TcpListener) {
    for _ in 0..20 {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = udp.local_addr().unwrap();
        if let Ok(tcp) = TcpListener::bind(addr).await {
            return (udp, tcp);
        }
    }
    panic!("no port free for both UDP and TCP on 127.0.0.1");
}

/// A zone handler that answers nothing: the catalog turns a zone that
/// declines every query into SERVFAIL, which is what a resolver sends
/// when a delegation is broken.
struct ServFailZone {
    origin: LowerName,
}

#[async_trait::async_trait]
impl ZoneHandler for ServFailZone {
    fn zone_type(&self) -> ZoneType {
        ZoneType::Primary
    }

    fn axfr_policy(&self) -> AxfrPolicy {
        AxfrPolicy::Deny
    }

    fn origin(&self) -> &LowerName {
        &self.origin
    }

    async fn lookup(
        &self,
        _name: &LowerName,
        _rtype: RecordType,
        _request_info: Option<&RequestInfo<'_>>,
        _lookup_options: LookupOptions,
    ) -> LookupControlFlow<AuthLookup> {
        LookupControlFlow::Skip
    }

    async fn search(
        &self,
        _request: &Request,
        _lookup_options: LookupOptions,
    ) -> (
        LookupControlFlow<AuthLookup>,
        Option<hickory_server::proto::rr::TSigResponseContext>,
    ) {
        (LookupControlFlow::Skip, None)
    }

    async fn nsec_records(
        &self,
        _name: &LowerName,
        _lookup_options: LookupOptions,
    ) -> LookupControlFlow<AuthLookup> {
        LookupControlFlow::Skip
    }
}
