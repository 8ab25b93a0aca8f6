//! `trusted_proxies` entries: CIDR blocks, or bare addresses standing for a /32 or /128.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::Serializer;

/// `10.0.0.0/8` or `::1/128`; a bare address (`10.1.2.3`, `::1`) is a /32 or /128.
pub fn parse_network(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<IpNet>, D::Error> {
    deserializer.deserialize_seq(NetworksVisitor)
}

pub(crate) fn serialize<S: Serializer>(
    networks: &[IpNet],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(networks.iter().map(ToString::to_string))
}

struct NetworksVisitor;

impl<'de> Visitor<'de> for NetworksVisitor {
    type Value = Vec<IpNet>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of IP addresses or CIDR blocks")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<IpNet>, A::Error> {
        let mut networks = Vec::new();
        while let Some(text) = seq.next_element::<String>()? {
            let network = parse_network(&text).ok_or_else(|| {
                de::Error::custom(format!("{text:?} is not an IP address or CIDR block"))
            })?;
            networks.push(network);
        }
        Ok(networks)
    }
}
