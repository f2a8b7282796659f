//! One mechanism for stable ids: a `Copy` enum whose `as_str()` gives the
//! published kebab-case string, backed by one static table with a row per
//! id. `findings::FindingId` (check and listen) and
//! `schannel::AuditId` (the registry audit) are both written with it.

/// Declares `pub enum $Enum` and `pub static $TABLE: &[$Info]`, one row per
/// variant in declaration order, each built by the `const fn $row(id,
/// name, …)` given; and on the enum `info()`, `as_str()`, `lookup()`,
/// `all()`, `Display`, `FromStr` (error [`UnknownId`]) and comparison
/// with `&str`. `$Info` must have fields `id: $Enum` and `name: &'static
/// str`.
macro_rules! id_table {
    (
        $(#[doc = $enum_doc:literal])*
        enum $Enum:ident;
        $(#[doc = $table_doc:literal])*
        static $TABLE:ident: [$Info:ident] = $row:ident;
        $(
            $(#[doc = $doc:literal])*
            $variant:ident = $name:literal ($($arg:expr),* $(,)?);
        )*
    ) => {
        $(#[doc = $enum_doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $Enum {
            $($(#[doc = $doc])* $variant,)*
        }

        $(#[doc = $table_doc])*
        pub static $TABLE: &[$Info] = &[
            $($row($Enum::$variant, $name, $($arg),*),)*
        ];

        impl $Enum {
            /// The row of the table for this id.
            pub fn info(self) -> &'static $Info {
                // The table is written by the same macro as the enum, a
                // row per variant in order, so the index is in range.
                &$TABLE[self as usize]
            }

            /// The published kebab-case id.
            pub fn as_str(self) -> &'static str {
                self.info().name
            }

            /// The id with this kebab-case string, if any.
            pub fn lookup(name: &str) -> Option<$Enum> {
                $TABLE.iter().find(|i| i.name == name).map(|i| i.id)
            }

            /// Every id, in table order.
            pub fn all() -> impl Iterator<Item = $Enum> {
                $TABLE.iter().map(|i| i.id)
            }
        }

        impl std::fmt::Display for $Enum {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $Enum {
            type Err = $crate::diagnose::id_table::UnknownId;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::lookup(s)
                    .ok_or_else(|| $crate::diagnose::id_table::UnknownId(s.chars().take(80).collect()))
            }
        }

        impl PartialEq<&str> for $Enum {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl PartialEq<str> for $Enum {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<$Enum> for &str {
            fn eq(&self, other: &$Enum) -> bool {
                *self == other.as_str()
            }
        }
    };
}

pub(crate) use id_table;

/// A string that is no id of the table asked (cut to 80 characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownId(pub String);

impl std::fmt::Display for UnknownId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no finding has the id {:?}", self.0)
    }
}

impl std::error::Error for UnknownId {}
