//! The open-file limit: raised at start to the hard limit where the system allows it, so
//! many devices can connect at once, and the cap on connections kept below it, so the
//! listener refuses clearly (503) instead of failing to accept.

use std::sync::OnceLock;

/// The soft limit after [`raise`]; `None` where it cannot be read.
static NOFILE: OnceLock<Option<u64>> = OnceLock::new();

/// Descriptors kept for all but connections: the listener, the runtime, transcripts,
/// reports, a TLS file or two.
const HEADROOM: u64 = 64;

/// Raise the soft RLIMIT_NOFILE to the hard limit; once, at start.
pub fn raise() {
    NOFILE.get_or_init(|| {
        #[cfg(unix)]
        {
            rlimit::increase_nofile_limit(u64::MAX).ok()
        }
        #[cfg(not(unix))]
        {
            None
        }
    });
}

/// `requested` connections, or fewer when the open-file limit cannot hold them at
/// `fds_each` descriptors apiece (said once on stderr).
pub fn cap(requested: usize, fds_each: u64) -> usize {
    let Some(limit) = NOFILE.get().copied().flatten() else {
        return requested;
    };
    let room = usize::try_from(limit.saturating_sub(HEADROOM) / fds_each.max(1))
        .unwrap_or(usize::MAX)
        .max(1);
    if requested <= room {
        return requested;
    }
    eprintln!(
        "dmct: the open-file limit is {limit}, so dmct's listener keeps at most {room} \
         connections open (--max-connections {requested} lowered)"
    );
    room
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_cap_keeps_headroom_below_the_limit() {
        super::raise();
        let limit = super::NOFILE.get().copied().flatten();
        let capped = super::cap(usize::MAX, 2);
        match limit {
            Some(l) => assert_eq!(capped as u64, ((l - super::HEADROOM) / 2).max(1)),
            None => assert_eq!(capped, usize::MAX),
        }
        assert_eq!(super::cap(1, 1), 1);
    }
}
