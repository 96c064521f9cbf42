//! Git's delta format: rebuilding an object from its base and a delta.
//!
//! A delta is two sizes (the base's and the result's, each a little-endian
//! base-128 number) and then instructions: a byte with its top bit set
//! copies a range of the base (the low seven bits say which offset and
//! size bytes follow), a byte from 1 to 127 inserts that many literal
//! bytes that follow it, and 0 is reserved. Every bound is checked, and the
//! instructions are checked to add up to the announced size before the
//! result is allocated, so a damaged delta is an error, never a panic or
//! an allocation its data cannot fill.

use std::fmt;

/// Why a delta cannot be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeltaError {
    /// The delta ends inside its header or an instruction.
    Truncated,
    /// The base is not as long as the delta says.
    BaseSize,
    /// A copy reaches past the end of the base.
    CopyOutOfBase,
    /// The reserved instruction 0.
    ReservedOpcode,
    /// The instructions do not produce the announced size.
    ResultSize,
}

impl fmt::Display for DeltaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeltaError::Truncated => "delta data is truncated",
            DeltaError::BaseSize => "delta base has a different size than the delta expects",
            DeltaError::CopyOutOfBase => "delta copies bytes from beyond its base",
            DeltaError::ReservedOpcode => "delta uses the reserved instruction 0",
            DeltaError::ResultSize => "delta instructions do not add up to its result size",
        })
    }
}

/// A parsed delta header: the sizes and where the instructions start.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Delta<'a> {
    pub(crate) base_size: u64,
    pub(crate) result_size: u64,
    instructions: &'a [u8],
}

/// `len` bytes of a delta's result from `at` on are the base's bytes from
/// `from` on; every result byte outside such ranges was inserted by the
/// delta.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    pub at: usize,
    pub len: usize,
    pub from: usize,
}

/// One instruction.
enum Op<'a> {
    Copy { offset: usize, len: usize },
    Insert(&'a [u8]),
}

impl<'a> Delta<'a> {
    /// Reads the two sizes at the start of `data`.
    pub(crate) fn parse(data: &'a [u8]) -> Result<Self, DeltaError> {
        let (base_size, rest) = size(data)?;
        let (result_size, instructions) = size(rest)?;
        Ok(Delta {
            base_size,
            result_size,
            instructions,
        })
    }

    /// The object this delta makes of `base`.
    #[cfg(test)]
    pub(crate) fn apply(&self, base: &[u8]) -> Result<Vec<u8>, DeltaError> {
        self.apply_recording(base, &mut Vec::new())
    }

    /// [`Delta::apply`], also filling `copies` (cleared first) with the
    /// result ranges copied from the base, in result order. Copies that
    /// continue each other in both the result and the base are one entry:
    /// git splits copies longer than 64 KiB, and a reader of the list only
    /// cares where copied bytes stop being contiguous.
    pub(crate) fn apply_recording(
        &self,
        base: &[u8],
        copies: &mut Vec<Copied>,
    ) -> Result<Vec<u8>, DeltaError> {
        copies.clear();
        if base.len() as u64 != self.base_size {
            return Err(DeltaError::BaseSize);
        }
        // First pass: validate every instruction against the base and sum
        // the output, so the allocation below is exactly what is written.
        let mut total = 0u64;
        for op in self.ops() {
            let len = match op? {
                Op::Copy { offset, len } => {
                    if offset.checked_add(len).is_none_or(|end| end > base.len()) {
                        return Err(DeltaError::CopyOutOfBase);
                    }
                    len
                }
                Op::Insert(bytes) => bytes.len(),
            };
            total += len as u64;
        }
        if total != self.result_size {
            return Err(DeltaError::ResultSize);
        }
        let mut out = Vec::with_capacity(total as usize);
        for op in self.ops() {
            match op? {
                Op::Copy { offset, len } => {
                    let at = out.len();
                    match copies.last_mut() {
                        Some(last)
                            if last.at + last.len == at && last.from + last.len == offset =>
                        {
                            last.len += len
                        }
                        _ => copies.push(Copied {
                            at,
                            len,
                            from: offset,
                        }),
                    }
                    out.extend_from_slice(&base[offset..offset + len])
                }
                Op::Insert(bytes) => out.extend_from_slice(bytes),
            }
        }
        Ok(out)
    }

    fn ops(&self) -> impl Iterator<Item = Result<Op<'a>, DeltaError>> {
        let mut rest = self.instructions;
        std::iter::from_fn(move || {
            let (&cmd, tail) = rest.split_first()?;
            rest = tail;
            Some(next_op(cmd, &mut rest))
        })
    }
}

fn next_op<'a>(cmd: u8, rest: &mut &'a [u8]) -> Result<Op<'a>, DeltaError> {
    if cmd & 0x80 != 0 {
        // Bits 0-3 say which of the offset's four little-endian bytes
        // follow, bits 4-6 which of the size's three; absent bytes are 0.
        let mut field = |bits: u8, count: usize| -> Result<usize, DeltaError> {
            let mut value = 0usize;
            for i in 0..count {
                if bits & (1 << i) != 0 {
                    let (&byte, tail) = rest.split_first().ok_or(DeltaError::Truncated)?;
                    *rest = tail;
                    value |= (byte as usize) << (8 * i);
                }
            }
            Ok(value)
        };
        let offset = field(cmd & 0x0f, 4)?;
        let len = match field((cmd >> 4) & 0x07, 3)? {
            // A size of 0 cannot be written otherwise; it means 64 KiB.
            0 => 0x10000,
            len => len,
        };
        Ok(Op::Copy { offset, len })
    } else if cmd != 0 {
        let len = cmd as usize;
        if rest.len() < len {
            return Err(DeltaError::Truncated);
        }
        let (bytes, tail) = rest.split_at(len);
        *rest = tail;
        Ok(Op::Insert(bytes))
    } else {
        Err(DeltaError::ReservedOpcode)
    }
}

/// A little-endian base-128 number: seven bits per byte, the top bit set
/// on every byte but the last.
fn size(data: &[u8]) -> Result<(u64, &[u8]), DeltaError> {
    let mut value = 0u64;
    for (i, &byte) in data.iter().enumerate() {
        let shift = 7 * i as u32;
        if shift >= 64 {
            break;
        }
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok((value, &data[i + 1..]));
        }
    }
    Err(DeltaError::Truncated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(mut n: u64, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    fn delta(base: u64, result: u64, ops: &[u8]) -> Vec<u8> {
        let mut d = Vec::new();
        varint(base, &mut d);
        varint(result, &mut d);
        d.extend_from_slice(ops);
        d
    }

    #[test]
    fn copies_and_inserts_rebuild_the_target() {
        let base = b"the quick brown fox jumps over the lazy dog";
        // copy "the quick " (offset 0, size 10), insert "red", copy
        // " fox" (offset 15, size 4), insert "!".
        let ops = [
            0x90, 10, // copy: no offset bytes (0), one size byte
            3, b'r', b'e', b'd', // insert 3
            0x91, 15, 4, // copy: one offset byte, one size byte
            1, b'!',
        ];
        let d = delta(base.len() as u64, 18, &ops);
        let parsed = Delta::parse(&d).unwrap();
        assert_eq!((parsed.base_size, parsed.result_size), (43, 18));
        assert_eq!(parsed.apply(base).unwrap(), b"the quick red fox!");
        let mut copies = vec![Copied {
            at: 9,
            len: 9,
            from: 9,
        }];
        parsed.apply_recording(base, &mut copies).unwrap();
        assert_eq!(
            copies,
            [
                Copied {
                    at: 0,
                    len: 10,
                    from: 0
                },
                Copied {
                    at: 13,
                    len: 4,
                    from: 15
                },
            ]
        );
    }

    #[test]
    fn copies_that_continue_each_other_are_recorded_as_one() {
        let base = b"0123456789";
        // copy 0..4, copy 4..6 (continues), copy 2..3 (does not), insert,
        // copy 3..5 (continues in the base, not in the result).
        let ops = [0x90, 4, 0x91, 4, 2, 0x91, 2, 1, 1, b'x', 0x91, 3, 2];
        let d = delta(10, 10, &ops);
        let mut copies = Vec::new();
        let out = Delta::parse(&d)
            .unwrap()
            .apply_recording(base, &mut copies)
            .unwrap();
        assert_eq!(out, b"0123452x34");
        assert_eq!(
            copies,
            [
                Copied {
                    at: 0,
                    len: 6,
                    from: 0
                },
                Copied {
                    at: 6,
                    len: 1,
                    from: 2
                },
                Copied {
                    at: 8,
                    len: 2,
                    from: 3
                },
            ]
        );
    }

    #[test]
    fn multi_byte_offsets_sizes_and_the_64k_default() {
        let base: Vec<u8> = (0..0x30000u32).map(|i| (i % 251) as u8).collect();
        // offset 0x012345 in bytes 0 and 1 and 2 (bits 0-2), size omitted:
        // 0x10000.
        let ops = [0x87, 0x45, 0x23, 0x01];
        let d = delta(base.len() as u64, 0x10000, &ops);
        let out = Delta::parse(&d).unwrap().apply(&base).unwrap();
        assert_eq!(out, &base[0x12345..0x12345 + 0x10000]);
        // A size in its second byte only (bit 5): 0x0200.
        let d = delta(base.len() as u64, 0x200, &[0xa0, 0x02]);
        let out = Delta::parse(&d).unwrap().apply(&base).unwrap();
        assert_eq!(out, &base[..0x200]);
    }

    #[test]
    fn damaged_deltas_are_errors() {
        let base = b"0123456789";
        let cases: [(&[u8], u64, DeltaError); 6] = [
            (&[0x91, 8, 4], 4, DeltaError::CopyOutOfBase),
            (&[0x91, 8], 4, DeltaError::Truncated),
            (&[5, b'a', b'b'], 5, DeltaError::Truncated),
            (&[0], 0, DeltaError::ReservedOpcode),
            (&[2, b'a', b'b'], 3, DeltaError::ResultSize),
            (&[2, b'a', b'b'], 1, DeltaError::ResultSize),
        ];
        for (ops, result, want) in cases {
            let d = delta(10, result, ops);
            assert_eq!(Delta::parse(&d).unwrap().apply(base), Err(want), "{ops:?}");
        }
        let d = delta(11, 1, &[1, b'x']);
        assert_eq!(
            Delta::parse(&d).unwrap().apply(base),
            Err(DeltaError::BaseSize)
        );
        assert_eq!(
            Delta::parse(&[0x80, 0x80]).err(),
            Some(DeltaError::Truncated)
        );
        assert_eq!(Delta::parse(&[]).err(), Some(DeltaError::Truncated));
    }

    #[test]
    fn an_announced_size_the_instructions_do_not_fill_allocates_nothing() {
        // A damaged header claiming an exabyte must not reach the
        // allocator.
        let d = delta(10, 1 << 60, &[1, b'x']);
        assert_eq!(
            Delta::parse(&d).unwrap().apply(b"0123456789"),
            Err(DeltaError::ResultSize)
        );
    }
}
