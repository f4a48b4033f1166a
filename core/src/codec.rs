//! The primitives of the snapshot's own compact encoding: how each kind of
//! value becomes bytes and back. Each type that is saved implements `Codec`
//! beside its definition (most with `codec_struct!`); the engine's
//! snapshot module puts the whole state together, with its version tag and
//! hex text. This module names nothing else in the crate.
//!
//! Inside the byte string, every field in declaration order: unsigned integers as
//! LEB128 varints (a 64-bit value is never split or rounded, so the jitter
//! generator's full state survives), `f64` as its 8 bytes little-endian,
//! `bool` and `Option`'s tag as one byte 0/1, strings and sequences as a
//! varint length then their items, enums as a varint variant index then
//! their fields.
//!
//! Decoding checks everything and never panics: a wrong tag, odd or non-hex
//! text, a truncated byte string, an out-of-range value or trailing bytes
//! give a [`SnapshotError`]. It does not judge whether the state makes sense
//! for a configuration: the engine's `restore` does.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

/// Why a text is not a snapshot this version can restore.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// It does not start with the snapshot's version tag: another version,
    /// or not a snapshot at all.
    #[error("not a snapshot of this version")]
    Version,
    /// Odd length or a character that is not a hex digit.
    #[error("not hex text")]
    NotHex,
    /// It ends before the state does.
    #[error("truncated")]
    Truncated,
    /// A value out of range: an unknown variant, a bad flag, a number too
    /// large for its field, a string that is not UTF-8.
    #[error("invalid value")]
    Invalid,
    /// Bytes left after the state.
    #[error("trailing data")]
    Trailing,
}

/// Writes the byte string.
#[derive(Debug, Default)]
pub(crate) struct Writer(Vec<u8>);

impl Writer {
    /// The bytes written.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    pub(crate) fn byte(&mut self, b: u8) {
        self.0.push(b);
    }

    pub(crate) fn varint(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.0.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.0.push(n as u8);
    }
}

/// Reads it back.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Reads `bytes` from the start.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    /// Whether every byte was read.
    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    pub(crate) fn byte(&mut self) -> Result<u8, SnapshotError> {
        let (&b, rest) = self.bytes.split_first().ok_or(SnapshotError::Truncated)?;
        self.bytes = rest;
        Ok(b)
    }

    pub(crate) fn varint(&mut self) -> Result<u64, SnapshotError> {
        let mut n = 0u64;
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            let part = u64::from(b & 0x7F);
            if (shift == 63 && part > 1) || shift > 63 {
                return Err(SnapshotError::Invalid);
            }
            n |= part << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
            shift += 7;
        }
    }

    /// A sequence's length, refused when it cannot fit in what is left
    /// (every item takes at least one byte): no huge allocation from a
    /// hostile length.
    pub(crate) fn len(&mut self) -> Result<usize, SnapshotError> {
        let n = usize::try_from(self.varint()?).map_err(|_| SnapshotError::Invalid)?;
        if n > self.bytes.len() {
            return Err(SnapshotError::Truncated);
        }
        Ok(n)
    }

    /// A variant index below `count`.
    pub(crate) fn variant(&mut self, count: u64) -> Result<u64, SnapshotError> {
        let v = self.varint()?;
        if v < count {
            Ok(v)
        } else {
            Err(SnapshotError::Invalid)
        }
    }
}

/// A value in the snapshot's encoding.
pub(crate) trait Codec: Sized {
    fn put(&self, w: &mut Writer);
    fn get(r: &mut Reader<'_>) -> Result<Self, SnapshotError>;
}

/// `Codec` for a struct: its fields in order.
macro_rules! codec_struct {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl $crate::codec::Codec for $ty {
            fn put(&self, w: &mut $crate::codec::Writer) {
                $( $crate::codec::Codec::put(&self.$field, w); )*
            }
            fn get(
                r: &mut $crate::codec::Reader<'_>,
            ) -> ::core::result::Result<Self, $crate::codec::SnapshotError> {
                Ok(Self { $( $field: $crate::codec::Codec::get(r)?, )* })
            }
        }
    };
    // Fields after `skip` are not saved: they come back as their default.
    ($ty:ident { $($field:ident),* $(,)? } skip { $($skip:ident),* $(,)? }) => {
        impl $crate::codec::Codec for $ty {
            fn put(&self, w: &mut $crate::codec::Writer) {
                $( $crate::codec::Codec::put(&self.$field, w); )*
            }
            fn get(
                r: &mut $crate::codec::Reader<'_>,
            ) -> ::core::result::Result<Self, $crate::codec::SnapshotError> {
                Ok(Self {
                    $( $field: $crate::codec::Codec::get(r)?, )*
                    $( $skip: ::core::default::Default::default(), )*
                })
            }
        }
    };
}
pub(crate) use codec_struct;

impl Codec for u64 {
    fn put(&self, w: &mut Writer) {
        w.varint(*self);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, SnapshotError> {
        r.varint()
    }
}

macro_rules! codec_narrow {
    ($($t:ty),*) => {$(
        impl Codec for $t {
            fn put(&self, w: &mut Writer) {
                w.varint(*self as u64);
            }
            fn get(r: &mut Reader<'_>) -> Result<Self, SnapshotError> {
                <$t>::try_from(r.varint()?).map_err(|_| SnapshotError::Invalid)
            }
        }
    )*};
}
codec_narrow!(u16, u32, usize);

impl Codec for bool {
    fn put(&self, w: &mut Writer) {
        w.byte(u8::from(*self));
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, SnapshotError> {
        match r.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(SnapshotError::Invalid),
        }
    }
}

impl Codec for f64 {
    fn put(&self, w: &mut Writer) {
        for b in self.to_bits().to_le_bytes() {
            w.byte(b);
        }
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, SnapshotError> {
        let mut bytes = [0u8; 8];
        for b in &mut bytes {
            *b = r.byte()?;
        }
        Ok(f64::from_bits(u64::from_le_bytes(bytes)))
    }
}

impl Codec for String {
    fn put(&self, w: &mut Writer) {
        w.varint(self.len() as u64);
        for &b in self.as_bytes() {
            w.byte(b);
        }
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, SnapshotError> {
        let n = r.len()?;
        let (head, rest) = r
            .bytes
            .split_at_checked(n)
            .ok_or(SnapshotError::Truncated)?;
        r.bytes = rest;
        core::str::from_utf8(head)
            .map(String::from)
            .map_err(|_| SnapshotError::Invalid)
    }
}

impl<T: Codec> Codec for Option<T> {
    fn put(&self, w: &mut Writer) {
        match self {
            None => w.byte(0),
            Some(v) => {
                w.byte(1);
                v.put(w);
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, SnapshotError> {
        match r.byte()? {
            0 => Ok(None),
            1 => Ok(Some(T::get(r)?)),
            _ => Err(SnapshotError::Invalid),
        }
    }
}

impl<T: Codec> Codec for Vec<T> {
    fn put(&self, w: &mut Writer) {
        w.varint(self.len() as u64);
        for v in self {
            v.put(w);
        }
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, SnapshotError> {
        let n = r.len()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(T::get(r)?);
        }
        Ok(out)
    }
}

impl<T: Codec> Codec for VecDeque<T> {
    fn put(&self, w: &mut Writer) {
        w.varint(self.len() as u64);
        for v in self {
            v.put(w);
        }
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, SnapshotError> {
        Vec::get(r).map(VecDeque::from)
    }
}

impl<T: Codec + Default + Copy, const N: usize> Codec for [T; N] {
    fn put(&self, w: &mut Writer) {
        for v in self {
            v.put(w);
        }
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, SnapshotError> {
        let mut out = [T::default(); N];
        for v in &mut out {
            *v = T::get(r)?;
        }
        Ok(out)
    }
}

impl<A: Codec, B: Codec, C: Codec> Codec for (A, B, C) {
    fn put(&self, w: &mut Writer) {
        self.0.put(w);
        self.1.put(w);
        self.2.put(w);
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, SnapshotError> {
        Ok((A::get(r)?, B::get(r)?, C::get(r)?))
    }
}
