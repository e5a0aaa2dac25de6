//! Sharding: which jobs one of N parallel runs takes.
//!
//! A job belongs to shard `fmix64(fnv1a64(job name)) % N`. The assignment depends on the job's
//! own name only, so adding or removing a driver moves no other job to another shard.

use std::fmt;
use std::str::FromStr;

/// FNV-1a, 64-bit.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

/// MurmurHash3's 64-bit finaliser: spreads every input bit over every output bit. FNV-1a's
/// low bits depend only on the low bits of each byte, so `fnv1a64 % N` alone splits a small
/// corpus very unevenly when `N` is a power of two.
pub fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Shard `index` of `count` (zero-based: `0 <= index < count`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub fn new(index: u64, count: u64) -> Result<Shard, String> {
        if count == 0 {
            return Err("the shard count must be at least 1".into());
        }
        if index >= count {
            return Err(format!("shard index {index} is out of range: shards are numbered 0 to {}", count - 1));
        }
        Ok(Shard { index, count })
    }

    /// The shard a job name belongs to, out of `count`.
    pub fn of(job_name: &str, count: u64) -> u64 {
        fmix64(fnv1a64(job_name.as_bytes())) % count.max(1)
    }

    /// Whether this shard runs the job called `job_name`.
    pub fn contains(&self, job_name: &str) -> bool {
        Shard::of(job_name, self.count) == self.index
    }

    /// The shard a batch scheduler assigned, from its environment (read through `var`):
    /// a Kubernetes Indexed Job (`JOB_COMPLETION_INDEX` with `JOB_COMPLETIONS`, which the Job
    /// must set itself) or a Slurm job array (`SLURM_ARRAY_TASK_ID` with
    /// `SLURM_ARRAY_TASK_COUNT`, counted from `SLURM_ARRAY_TASK_MIN` in steps of
    /// `SLURM_ARRAY_TASK_STEP` when those are set). `None` when neither is present.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Option<(Shard, &'static str)>, String> {
        let num = |name: &str| -> Result<Option<u64>, String> {
            match var(name) {
                None => Ok(None),
                Some(v) if v.trim().is_empty() => Ok(None),
                Some(v) => {
                    v.trim().parse::<u64>().map(Some).map_err(|_| format!("{name}={v:?} is not a non-negative integer"))
                }
            }
        };
        if let Some(index) = num("JOB_COMPLETION_INDEX")? {
            let Some(count) = num("JOB_COMPLETIONS")? else {
                return Err("JOB_COMPLETION_INDEX is set but JOB_COMPLETIONS is not: set it in the Job's \
                            environment to its number of completions, or pass --shard I/N"
                    .into());
            };
            return Shard::new(index, count)
                .map(|s| Some((s, "JOB_COMPLETION_INDEX/JOB_COMPLETIONS")))
                .map_err(|e| format!("JOB_COMPLETION_INDEX/JOB_COMPLETIONS: {e}"));
        }
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let Some(count) = num("SLURM_ARRAY_TASK_COUNT")? else {
                return Err("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; pass --shard I/N".into());
            };
            let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let step = num("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
            let Some(offset) = id.checked_sub(min) else {
                return Err(format!("SLURM_ARRAY_TASK_ID {id} is below SLURM_ARRAY_TASK_MIN {min}"));
            };
            if offset % step != 0 {
                return Err(format!(
                    "SLURM_ARRAY_TASK_ID {id} is not on the array's grid (min {min}, step {step}); pass --shard I/N"
                ));
            }
            return Shard::new(offset / step, count)
                .map(|s| Some((s, "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT")))
                .map_err(|e| format!("SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT: {e}"));
        }
        Ok(None)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let (i, n) = s.split_once('/').ok_or_else(|| format!("{s:?} is not of the form I/N (e.g. 0/4)"))?;
        let index = i.trim().parse::<u64>().map_err(|_| format!("{i:?} is not a shard index"))?;
        let count = n.trim().parse::<u64>().map_err(|_| format!("{n:?} is not a shard count"))?;
        Shard::new(index, count)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn fnv1a64_matches_the_reference_values() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn assignment_is_stable() {
        // Pinned: changing these reshuffles every sharded CI setup.
        assert_eq!(Shard::of("methods/default/x64", 3), fmix64(fnv1a64(b"methods/default/x64")) % 3);
        assert_eq!(fmix64(0), 0);
        assert_eq!(fmix64(1), 0xb456_bcfc_34c2_cb2c);
        let before: Vec<u64> = ["a/default/x64", "b/default/x86", "c/io/x64"].iter().map(|n| Shard::of(n, 7)).collect();
        let again: Vec<u64> = ["a/default/x64", "b/default/x86", "c/io/x64"].iter().map(|n| Shard::of(n, 7)).collect();
        assert_eq!(before, again);
        // Adding a job moves no other.
        let names: Vec<String> = (0..50).map(|i| format!("drv{i}/default/x64")).collect();
        let with_more: Vec<String> = names.iter().cloned().chain(["new/default/x86".to_string()]).collect();
        for n in &names {
            assert_eq!(Shard::of(n, 5), Shard::of(with_more.iter().find(|m| *m == n).unwrap(), 5));
        }
    }

    #[test]
    fn every_job_is_in_exactly_one_shard() {
        let names: Vec<String> =
            (0..200).flat_map(|i| ["x86", "x64"].map(|a| format!("driver{i}/default/{a}"))).collect();
        for count in 1..=9 {
            let shards: Vec<Shard> = (0..count).map(|i| Shard::new(i, count).unwrap()).collect();
            let mut seen: HashMap<&str, usize> = HashMap::new();
            for s in &shards {
                for n in names.iter().filter(|n| s.contains(n)) {
                    *seen.entry(n).or_default() += 1;
                }
            }
            assert_eq!(seen.len(), names.len());
            assert!(seen.values().all(|&c| c == 1));
        }
        // The spread is not degenerate.
        let in_first = names.iter().filter(|n| Shard::new(0, 4).unwrap().contains(n)).count();
        assert!(in_first > 50 && in_first < 150, "{in_first}");
    }

    #[test]
    fn power_of_two_shard_counts_split_evenly() {
        // Names shaped like a real corpus's: few drivers, similar names.
        let names: Vec<String> = ["beeper", "halports", "kapi", "leaky", "methods", "missing", "rawio", "spin"]
            .iter()
            .flat_map(|d| ["x86", "x64"].map(|a| format!("{d}/{d}/{a}")))
            .collect();
        for count in [2u64, 4, 8] {
            let mut sizes = vec![0usize; count as usize];
            for n in &names {
                sizes[Shard::of(n, count) as usize] += 1;
            }
            let fair = names.len() / count as usize;
            assert!(sizes.iter().all(|&s| s + fair / 2 + 1 >= fair && s <= 2 * fair + 1), "{count}: {sizes:?}");
        }
    }

    #[test]
    fn parses_i_of_n() {
        assert_eq!("1/3".parse::<Shard>().unwrap(), Shard { index: 1, count: 3 });
        assert_eq!("0/1".parse::<Shard>().unwrap().to_string(), "0/1");
        for bad in ["3/3", "1/0", "a/3", "1", "-1/3", "1/3/4", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn reads_kubernetes_and_slurm_environments() {
        assert_eq!(Shard::from_env(env(&[])).unwrap(), None);
        let k = Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "2"), ("JOB_COMPLETIONS", "4")])).unwrap();
        assert_eq!(k.unwrap().0, Shard { index: 2, count: 4 });
        assert!(Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "2")])).is_err());
        assert!(Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "4"), ("JOB_COMPLETIONS", "4")])).is_err());
        let s = Shard::from_env(env(&[("SLURM_ARRAY_TASK_ID", "7"), ("SLURM_ARRAY_TASK_COUNT", "8")])).unwrap();
        assert_eq!(s.unwrap().0, Shard { index: 7, count: 8 });
        let s = Shard::from_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "8"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ]))
        .unwrap();
        assert_eq!(s.unwrap().0, Shard { index: 7, count: 8 });
        let s = Shard::from_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "14"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
        ]))
        .unwrap();
        assert_eq!(s.unwrap().0, Shard { index: 7, count: 8 });
        assert!(Shard::from_env(env(&[("SLURM_ARRAY_TASK_ID", "x"), ("SLURM_ARRAY_TASK_COUNT", "8")])).is_err());
    }
}
