//! The filtering layers and built-in sublayers the base filtering engine knows, by key (the
//! FWPM_LAYER_* and FWPM_SUBLAYER_* GUIDs of fwpmk.h, Windows 7's set and the few later
//! layers drivers name). An object naming a layer that is not here is refused as the engine
//! refuses it (FWP_E_LAYER_NOT_FOUND); reports print layers by name.

use crate::etw::parse_guid;

/// (name, key) of every layer.
const LAYERS: &[(&str, &str)] = &[
    ("INBOUND_IPPACKET_V4", "c86fd1bf-21cd-497e-a0bb-17425c885c58"),
    ("INBOUND_IPPACKET_V4_DISCARD", "b5a230d0-a8c0-44f2-916e-991b53ded1f7"),
    ("INBOUND_IPPACKET_V6", "f52032cb-991c-46e7-971d-2601459a91ca"),
    ("INBOUND_IPPACKET_V6_DISCARD", "bb24c279-93b4-47a2-83ad-ae1698b50885"),
    ("OUTBOUND_IPPACKET_V4", "1e5c9fae-8a84-4135-a331-950b54229ecd"),
    ("OUTBOUND_IPPACKET_V4_DISCARD", "08e4bcb5-b647-48f3-953c-e5ddbd03937e"),
    ("OUTBOUND_IPPACKET_V6", "a3b3ab6b-3564-488c-9117-f34e82142763"),
    ("OUTBOUND_IPPACKET_V6_DISCARD", "9513d7c4-a934-49dc-91a7-6ccb80cc02e3"),
    ("IPFORWARD_V4", "a82acc24-4ee1-4ee1-b465-fd1d25cb10a4"),
    ("IPFORWARD_V4_DISCARD", "9e9ea773-2fae-4210-8f17-34129ef369eb"),
    ("IPFORWARD_V6", "7b964818-19c7-493a-b71f-832c3684d28c"),
    ("IPFORWARD_V6_DISCARD", "31524a5d-1dfe-472f-bb93-518ee945d8a2"),
    ("INBOUND_TRANSPORT_V4", "5926dfc8-e3cf-4426-a283-dc393f5d0f9d"),
    ("INBOUND_TRANSPORT_V4_DISCARD", "ac4a9833-f69d-4648-b261-6dc84835ef39"),
    ("INBOUND_TRANSPORT_V6", "634a869f-fc23-4b90-b0c1-bf620a36ae6f"),
    ("INBOUND_TRANSPORT_V6_DISCARD", "2a6ff955-3b2b-49d2-9848-ad9d72dcaab7"),
    ("OUTBOUND_TRANSPORT_V4", "09e61aea-d214-46e2-9b21-b26b0b2f28c8"),
    ("OUTBOUND_TRANSPORT_V4_DISCARD", "c5f10551-bdb0-43d7-a313-50e211f4d68a"),
    ("OUTBOUND_TRANSPORT_V6", "e1735bde-013f-4655-b351-a49e15762df0"),
    ("OUTBOUND_TRANSPORT_V6_DISCARD", "f433df69-ccbd-482e-b9b2-57165658c3b3"),
    ("STREAM_V4", "3b89653c-c170-49e4-b1cd-e0eeeee19a3e"),
    ("STREAM_V4_DISCARD", "25c4c2c2-25ff-4352-82f9-c54a4a4726dc"),
    ("STREAM_V6", "47c9137a-7ec4-46b3-b6e4-48e926b1eda4"),
    ("STREAM_V6_DISCARD", "10a59fc7-b628-4c41-9eb8-cf37d55103cf"),
    ("DATAGRAM_DATA_V4", "3d08bf4e-45f6-4930-a922-417098e20027"),
    ("DATAGRAM_DATA_V4_DISCARD", "18e330c6-7248-4e52-aaab-472ed67704fd"),
    ("DATAGRAM_DATA_V6", "fa45fe2f-3cba-4427-87fc-57b9a4b10d00"),
    ("DATAGRAM_DATA_V6_DISCARD", "09d1dfe1-9b86-4a42-be9d-8c315b92a5d0"),
    ("INBOUND_ICMP_ERROR_V4", "61499990-3cb6-4e84-b950-53b94b6964f3"),
    ("INBOUND_ICMP_ERROR_V4_DISCARD", "a6b17075-ebaf-4053-a4e7-213c8121ede5"),
    ("INBOUND_ICMP_ERROR_V6", "65f9bdff-3b2d-4e5d-b8c6-c720651fe898"),
    ("INBOUND_ICMP_ERROR_V6_DISCARD", "a6e7ccc0-08fb-468d-a472-9771d5595e09"),
    ("OUTBOUND_ICMP_ERROR_V4", "41390100-564c-4b32-bc1d-718048354d7c"),
    ("OUTBOUND_ICMP_ERROR_V4_DISCARD", "b3598d36-0561-4588-a6bf-e955e3f6264b"),
    ("OUTBOUND_ICMP_ERROR_V6", "7fb03b60-7b8d-4dfa-badd-980176fc4e12"),
    ("OUTBOUND_ICMP_ERROR_V6_DISCARD", "65f2e647-8d0c-4f47-b19b-33a4d3f1357c"),
    ("ALE_RESOURCE_ASSIGNMENT_V4", "1247d66d-0b60-4a15-8d44-7155d0f53a0c"),
    ("ALE_RESOURCE_ASSIGNMENT_V4_DISCARD", "0b5812a2-c3ff-4eca-b88d-c79e20ac6322"),
    ("ALE_RESOURCE_ASSIGNMENT_V6", "55a650e1-5f0a-4eca-a653-88f53b26aa8c"),
    ("ALE_RESOURCE_ASSIGNMENT_V6_DISCARD", "cbc998bb-c51f-4c1a-bb4f-9775fcacab2f"),
    ("ALE_AUTH_LISTEN_V4", "88bb5dad-76d7-4227-9c71-df0a3ed7be7e"),
    ("ALE_AUTH_LISTEN_V4_DISCARD", "371dfada-9f26-45fd-b4eb-c29eb212893f"),
    ("ALE_AUTH_LISTEN_V6", "7ac9de24-17dd-4814-b4bd-a9fbc95a321b"),
    ("ALE_AUTH_LISTEN_V6_DISCARD", "60703b07-63c8-48e9-ada3-12b1af40a617"),
    ("ALE_AUTH_RECV_ACCEPT_V4", "e1cd9fe7-f4b5-4273-96c0-592e487b8650"),
    ("ALE_AUTH_RECV_ACCEPT_V4_DISCARD", "9eeaa99b-bd22-4227-919f-0073c63357b1"),
    ("ALE_AUTH_RECV_ACCEPT_V6", "a3b42c97-9f04-4672-b87e-cee9c483257f"),
    ("ALE_AUTH_RECV_ACCEPT_V6_DISCARD", "89455b97-dbe1-453f-a224-13da895af396"),
    ("ALE_AUTH_CONNECT_V4", "c38d57d1-05a7-4c33-904f-7fbceee60e82"),
    ("ALE_AUTH_CONNECT_V4_DISCARD", "d632a801-f5ba-4ad6-96e3-607017d9836a"),
    ("ALE_AUTH_CONNECT_V6", "4a72393b-319f-44bc-84c3-ba54dcb3b6b4"),
    ("ALE_AUTH_CONNECT_V6_DISCARD", "c97bc3b8-c9a3-4e33-8695-8e17aad4de09"),
    ("ALE_FLOW_ESTABLISHED_V4", "af80470a-5596-4c13-9992-539e6fe57967"),
    ("ALE_FLOW_ESTABLISHED_V4_DISCARD", "146ae4a9-a1d2-4d43-a31a-4c42682b8e4f"),
    ("ALE_FLOW_ESTABLISHED_V6", "7021d2b3-dfa4-406e-afeb-6afaf7e70efd"),
    ("ALE_FLOW_ESTABLISHED_V6_DISCARD", "46928636-bbca-4b76-941d-0fa7f5d7d372"),
    ("INBOUND_MAC_FRAME_ETHERNET", "effb7edb-0055-4f9a-a231-4ff8131ad191"),
    ("OUTBOUND_MAC_FRAME_ETHERNET", "694673bc-d6db-4870-adee-0acdbdb7f4b2"),
    ("INBOUND_MAC_FRAME_NATIVE", "d4220bd3-62ce-4f08-ae88-b56e8526df50"),
    ("OUTBOUND_MAC_FRAME_NATIVE", "94c44912-9d6f-4ebf-b995-05ab8a088d1b"),
    ("INGRESS_VSWITCH_ETHERNET", "7d98577a-9a87-41ec-9718-7cf589c9f32d"),
    ("EGRESS_VSWITCH_ETHERNET", "86c872b0-76fa-4b79-93a4-0750530ae292"),
    ("INGRESS_VSWITCH_TRANSPORT_V4", "b2696ff6-774f-4554-9f7d-3da3945f8e85"),
    ("INGRESS_VSWITCH_TRANSPORT_V6", "5ee314fc-7d8a-47f4-b7e3-291a36da4e12"),
    ("EGRESS_VSWITCH_TRANSPORT_V4", "b92350b6-91f0-46b6-bdc4-871dfd4a7c98"),
    ("EGRESS_VSWITCH_TRANSPORT_V6", "1b2def23-1881-40bd-82f4-4254e63141cb"),
    ("INBOUND_TRANSPORT_FAST", "e41d2719-05c7-40f0-8983-ea8d17bbc2f6"),
    ("OUTBOUND_TRANSPORT_FAST", "13ed4388-a070-4815-9935-7a9be6408b78"),
    ("INBOUND_MAC_FRAME_NATIVE_FAST", "853aaa8e-2b78-4d24-a804-36db08b29711"),
    ("OUTBOUND_MAC_FRAME_NATIVE_FAST", "470df946-c962-486f-9446-8293cbc75eb8"),
    ("IPSEC_KM_DEMUX_V4", "f02b1526-a459-4a51-b9e3-759de52b9d2c"),
    ("IPSEC_KM_DEMUX_V6", "2f755cf6-2fd4-4e88-b3e4-a91bca495235"),
    ("IPSEC_V4", "eda65c74-610d-4bc5-948f-3c4f89556867"),
    ("IPSEC_V6", "13c48442-8d87-4261-9a29-59d2abc348b4"),
    ("IKEEXT_V4", "b14b7bdb-dbbd-473e-bed4-8b4708d4f270"),
    ("IKEEXT_V6", "b64786b3-f687-4eb9-89d2-8ef32acdabe2"),
    ("RPC_UM", "75a89dda-95e4-40f3-adc7-7688a9c847e1"),
    ("RPC_EPMAP", "9247bc61-eb07-47ee-872c-bfd78bfd1616"),
    ("RPC_EP_ADD", "618dffc7-c450-4943-95db-99b4c16a55d4"),
    ("RPC_PROXY_CONN", "94a4b50b-ba5c-4f27-907a-229fac0c2a7a"),
    ("RPC_PROXY_IF", "f8a38615-e12c-41ac-98df-121ad981aade"),
    ("KM_AUTHORIZATION", "4aa226e9-9020-45fb-956a-c0249d841195"),
    ("NAME_RESOLUTION_CACHE_V4", "0c2aa681-905b-4ccd-a467-4dd811d07b7b"),
    ("NAME_RESOLUTION_CACHE_V6", "92d592fa-6b01-434a-9dea-d1e96ea97da9"),
    ("ALE_RESOURCE_RELEASE_V4", "74365cce-ccb0-401a-bfc1-b89934ad7e15"),
    ("ALE_RESOURCE_RELEASE_V6", "f4e5ce80-edcc-4e13-8a2f-b91454bb057b"),
    ("ALE_ENDPOINT_CLOSURE_V4", "b4766427-e2a2-467a-bd7e-dbcd1bd85a09"),
    ("ALE_ENDPOINT_CLOSURE_V6", "bb536ccd-4755-4ba9-9ff7-f9edf8699c7b"),
    ("ALE_CONNECT_REDIRECT_V4", "c6e63c8c-b784-4562-aa7d-0a67cfcaf9a3"),
    ("ALE_CONNECT_REDIRECT_V6", "587e54a7-8046-42ba-a0aa-b716250fc7fd"),
    ("ALE_BIND_REDIRECT_V4", "66978cad-c704-42ac-86ac-7c1a231bd253"),
    ("ALE_BIND_REDIRECT_V6", "bef02c9c-606b-4536-8c26-1c2fc7b631d4"),
    ("STREAM_PACKET_V4", "af52d8ec-cb2d-44e5-ad92-f8dc38d2eb29"),
    ("STREAM_PACKET_V6", "779a8ca3-f099-468f-b5d4-83535c461c02"),
];

/// (name, key) of the built-in sublayers.
const SUBLAYERS: &[(&str, &str)] = &[
    ("RPC_AUDIT", "758c84f4-fb48-4de9-9aeb-3ed9551ab1fd"),
    ("IPSEC_TUNNEL", "83f299ed-9ff4-4967-aff4-c309f4dab827"),
    ("UNIVERSAL", "eebecc03-ced4-4380-819a-2734397b2b74"),
    ("LIPS", "1b75c0ce-ff60-4711-a70f-b4958cc3b2d0"),
    ("SECURE_SOCKET", "15a66e17-3f3c-4f7b-aa6c-812aa613dd82"),
    ("TCP_CHIMNEY_OFFLOAD", "337608b9-b7d5-4d5f-82f9-3618618bc058"),
    ("INSPECTION", "877519e1-e6a9-41a5-81b4-8c4f118e4a60"),
    ("TEREDO", "ba69dc66-5176-4979-9c89-26a7b46a8327"),
    ("IPSEC_FORWARD_OUTBOUND_TUNNEL", "a5082e73-8f71-4559-8a9a-101cea04ef87"),
    ("IPSEC_DOSP", "e076d572-5d3d-48ef-802b-909eddb098bd"),
    ("TCP_TEMPLATES", "24421dcf-0ac5-4caa-9e14-50f6e3636af0"),
    ("IPSEC_SECURITY_REALM", "37a57701-5884-4964-92b8-3e704688b0ad"),
];

fn find(table: &[(&'static str, &str)], key: &[u8; 16]) -> Option<&'static str> {
    table.iter().find(|(_, g)| parse_guid(g).as_ref() == Some(key)).map(|(n, _)| *n)
}

/// The name of the layer `key` (without the FWPM_LAYER_ prefix), if it is one.
pub fn layer_name(key: &[u8; 16]) -> Option<&'static str> {
    find(LAYERS, key)
}

/// The key of the layer `name` (without the FWPM_LAYER_ prefix).
pub fn layer_key(name: &str) -> Option<[u8; 16]> {
    LAYERS.iter().find(|(n, _)| *n == name).and_then(|(_, g)| parse_guid(g))
}

/// The name of the built-in sublayer `key` (without the FWPM_SUBLAYER_ prefix).
pub fn builtin_sublayer(key: &[u8; 16]) -> Option<&'static str> {
    find(SUBLAYERS, key)
}

/// FWPM_SUBLAYER_UNIVERSAL: where a filter naming no sublayer goes.
pub fn universal() -> [u8; 16] {
    parse_guid(SUBLAYERS[2].1).expect("a GUID")
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_key_parses_and_names_are_unique() {
        for table in [super::LAYERS, super::SUBLAYERS] {
            let mut names: Vec<_> = table.iter().map(|(n, g)| (super::parse_guid(g).expect(n), *n)).collect();
            let n = names.len();
            names.sort();
            names.dedup_by(|a, b| a.0 == b.0 || a.1 == b.1);
            assert_eq!(names.len(), n);
        }
    }
}
