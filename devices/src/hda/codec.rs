//! A minimal HD Audio codec: a root node and one audio function group with no widgets.
//!
//! Enough for a bus driver to discover the codec and enumerate its function group as a child
//! device: the root answers its vendor and revision and names one subordinate node, the
//! function group (node 1) says it is an audio function group with no nodes of its own and
//! keeps its power state and subsystem id. Every verb the codec does not support is answered
//! with 0, as the HD Audio specification (7.3.3) requires of a codec.

/// GET_PARAMETER (verb F00h) parameter ids.
const PARAM_VENDOR_ID: u8 = 0x00;
const PARAM_REVISION_ID: u8 = 0x02;
const PARAM_NODE_COUNT: u8 = 0x04;
const PARAM_FUNCTION_GROUP_TYPE: u8 = 0x05;
const PARAM_POWER_STATES: u8 = 0x0F;

/// The node ids.
const ROOT: u8 = 0;
const AFG: u8 = 1;

/// One codec on the link.
#[derive(Clone, Debug)]
pub struct Codec {
    /// Vendor (high 16 bits) and device id.
    pub vendor_id: u32,
    pub revision_id: u32,
    pub subsystem_id: u32,
    /// The function group's power state (D0-D3) as last set.
    power_state: u8,
}

impl Default for Codec {
    fn default() -> Codec {
        Codec { vendor_id: 0x10EC_0887, revision_id: 0x0010_0101, subsystem_id: 0x10EC_0887, power_state: 0 }
    }
}

impl Codec {
    /// The response to one command's node id and 20-bit verb (with its payload).
    pub fn command(&mut self, nid: u8, verb: u32) -> u32 {
        // 12-bit verbs are 7xxh and Fxxh with an 8-bit payload; the others carry a 4-bit id
        // and a 16-bit payload (converter format, amplifier gain, coefficients), which a
        // codec without widgets does not have.
        let (id, payload) = match verb >> 16 {
            0x7 | 0xF => ((verb >> 8) as u16, verb as u8),
            _ => return 0,
        };
        match (nid, id) {
            (ROOT, 0xF00) => match payload {
                PARAM_VENDOR_ID => self.vendor_id,
                PARAM_REVISION_ID => self.revision_id,
                // Starting node 1, one node: the audio function group.
                PARAM_NODE_COUNT => (AFG as u32) << 16 | 1,
                _ => 0,
            },
            (AFG, 0xF00) => match payload {
                // Its nodes would start at 2; it has none.
                PARAM_NODE_COUNT => 2 << 16,
                PARAM_FUNCTION_GROUP_TYPE => 0x01,
                // D0 to D3.
                PARAM_POWER_STATES => 0x0F,
                _ => 0,
            },
            (AFG, 0xF05) => (self.power_state as u32) << 4 | self.power_state as u32,
            (AFG, 0x705) => {
                self.power_state = payload & 0x3;
                0
            }
            (AFG, 0xF20) => self.subsystem_id,
            (AFG, 0x720..=0x723) => {
                let shift = 8 * (id - 0x720) as u32;
                self.subsystem_id = (self.subsystem_id & !(0xFF << shift)) | (payload as u32) << shift;
                0
            }
            // Function group reset: back to D0.
            (AFG, 0x7FF) => {
                self.power_state = 0;
                0
            }
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_function_group_answer_their_parameters() {
        let mut c = Codec::default();
        assert_eq!(c.command(0, 0xF0000), 0x10EC_0887);
        assert_eq!(c.command(0, 0xF0004), 0x0001_0001);
        assert_eq!(c.command(1, 0xF0005), 1);
        assert_eq!(c.command(1, 0xF0004), 0x0002_0000);
        assert_eq!(c.command(1, 0xF0012), 0, "unknown parameter");
        assert_eq!(c.command(5, 0xF0000), 0, "no such node");
        assert_eq!(c.command(1, 0x70503), 0);
        assert_eq!(c.command(1, 0xF0500), 0x33);
        c.command(1, 0x72034);
        assert_eq!(c.command(1, 0xF2000), 0x10EC_0834);
        assert_eq!(c.command(1, 0x2_4011), 0, "a 4-bit verb");
    }
}
