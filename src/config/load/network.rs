//! `[network]`: the proxies trusted to name the client, and the VPCs the gate recognizes.

use ipnet::IpNet;

use super::Validator;
use crate::base::ids::{is_vpce_id, parse_net};
use crate::config::model::{NetworkConfig, Vpc};
use crate::config::raw;

impl Validator {
    pub(super) fn network(&mut self, raw: raw::RawNetwork) -> NetworkConfig {
        let net = |key: String, s: &str, problems: &mut Self| -> Option<IpNet> {
            parse_net(s).or_else(|| {
                problems.problem(key, format!("\"{s}\" is not an address or CIDR"));
                None
            })
        };
        let trusted_proxies = raw
            .trusted_proxies
            .iter()
            .enumerate()
            .filter_map(|(i, s)| net(format!("network.trusted_proxies[{i}]"), s, self))
            .collect();
        let vpcs = raw
            .vpcs
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                if !v.id.starts_with("vpc-") {
                    self.problem(
                        format!("network.vpcs[{i}].id"),
                        format!("\"{}\" is not a VPC id such as \"vpc-1a2b3c4d\"", v.id),
                    );
                }
                if let Some(e) = &v.endpoint_id
                    && !is_vpce_id(e)
                {
                    self.problem(
                        format!("network.vpcs[{i}].endpoint_id"),
                        format!("\"{e}\" is not a VPC endpoint id such as \"vpce-0123456789abcdef0\""),
                    );
                }
                Vpc {
                    cidrs: v
                        .cidrs
                        .iter()
                        .enumerate()
                        .filter_map(|(j, s)| net(format!("network.vpcs[{i}].cidrs[{j}]"), s, self))
                        .collect(),
                    id: v.id,
                    endpoint_id: v.endpoint_id,
                }
            })
            .collect();
        NetworkConfig { trusted_proxies, vpcs }
    }
}
