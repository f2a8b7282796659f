//! Raw DNS questions with the DO bit, for what hickory's resolver does
//! not hand out: the RRSIGs of the anchor's key set and the reason an
//! answer is bogus. UDP first, TCP on truncation; bounded in time and size.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::proto::rr::{Name, RecordType};

use crate::net::dns::{self, DnsOptions};

/// The first server asked, for the raw DNSKEY query of `anchor::anchored_keyset`.
pub(super) fn first_server(options: &DnsOptions) -> Option<SocketAddr> {
    let (config, _) = dns::resolver_config(&options.resolver).ok()?;
    let server = config.name_servers().first()?;
    let port = server.connections.first().map_or(dns::DNS_PORT, |c| c.port);
    Some(SocketAddr::new(server.ip, port))
}

/// One question with the DO bit set, over TCP to `server`, bounded by
/// `bound`: the RRSIGs come with the answer, unvalidated. Used where
/// hickory's resolver gives no access to them (the anchor's key set, the
/// reason an answer is bogus).
pub(super) async fn raw_query(
    server: SocketAddr,
    name: &Name,
    record_type: RecordType,
    bound: Duration,
) -> Result<hickory_resolver::proto::op::Message, String> {
    use hickory_resolver::proto::op::{Edns, Message, Query};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut query = Message::query();
    query.add_query(Query::query(name.clone(), record_type));
    query.metadata.recursion_desired = true;
    let mut edns = Edns::new();
    edns.set_dnssec_ok(true);
    edns.set_max_payload(4096);
    query.set_edns(edns);
    // A random id, so a stray datagram cannot pass for the answer.
    query.metadata.id = u16::from_ne_bytes(
        ring::rand::generate::<[u8; 2]>(&ring::rand::SystemRandom::new())
            .map(|r| r.expose())
            .unwrap_or([0x5a, 0xa5]),
    );
    let bytes = query.to_vec().map_err(|e| e.to_string())?;
    // UDP first (one round trip); TCP when the answer is truncated or UDP
    // gets nothing usable.
    let udp = async {
        let local: SocketAddr = if server.is_ipv4() {
            (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = tokio::net::UdpSocket::bind(local).await?;
        socket.connect(server).await?;
        socket.send(&bytes).await?;
        let mut buf = vec![0u8; 4096];
        loop {
            let n = socket.recv(&mut buf).await?;
            if let Ok(m) = Message::from_vec(buf.get(..n).unwrap_or_default()) {
                if m.metadata.id == query.metadata.id {
                    return Ok::<_, std::io::Error>(m);
                }
            }
        }
    };
    if let Ok(Ok(m)) = tokio::time::timeout(bound / 2, udp).await {
        if !m.metadata.truncation {
            return Ok(m);
        }
    }
    let exchange = async {
        let mut tcp = tokio::net::TcpStream::connect(server).await?;
        let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
        tcp.write_all(&len.to_be_bytes()).await?;
        tcp.write_all(&bytes).await?;
        let mut len = [0u8; 2];
        tcp.read_exact(&mut len).await?;
        let len = usize::from(u16::from_be_bytes(len)).min(MAX_TCP_MESSAGE);
        let mut buf = vec![0u8; len];
        tcp.read_exact(&mut buf).await?;
        Ok::<_, std::io::Error>(buf)
    };
    let answer = tokio::time::timeout(bound, exchange)
        .await
        .map_err(|_| format!("{name} {record_type}: no answer from {server} in time"))?
        .map_err(|e| format!("{name} {record_type} over TCP to {server}: {e}"))?;
    Message::from_vec(&answer).map_err(|e| format!("{name} {record_type}: {e}"))
}

/// Most bytes of one DNS message over TCP (RFC 1035 §4.2.2 length prefix).
const MAX_TCP_MESSAGE: usize = 65_535;
