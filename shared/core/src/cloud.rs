//! The four Microsoft clouds and their default endpoints.

use std::fmt;
use std::str::FromStr;

/// A Microsoft 365 cloud, which decides the token authority and the Management API root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cloud {
    /// The worldwide cloud (also spelled `public`, `global` or `worldwide`): most tenants.
    #[default]
    Commercial,
    /// GCC, US Government Community Cloud: commercial sign-in, its own API host.
    Gcc,
    /// GCC High: the US Government cloud with its own sign-in.
    GccHigh,
    /// DoD: the US Department of Defense cloud, signing in like GCC High.
    Dod,
}

impl Cloud {
    /// All four clouds, the default first.
    pub const ALL: [Cloud; 4] = [Cloud::Commercial, Cloud::Gcc, Cloud::GccHigh, Cloud::Dod];

    /// The Entra host that issues tokens for this cloud.
    pub fn authority(self) -> &'static str {
        match self {
            Cloud::Commercial | Cloud::Gcc => "https://login.windows.net",
            Cloud::GccHigh | Cloud::Dod => "https://login.microsoftonline.us",
        }
    }

    /// The Management Activity API root, which is also the token's resource (audience).
    pub fn audience(self) -> &'static str {
        match self {
            Cloud::Commercial => "https://manage.office.com",
            Cloud::Gcc => "https://manage-gcc.office.com",
            Cloud::GccHigh => "https://manage.office365.us",
            Cloud::Dod => "https://manage.protection.apps.mil",
        }
    }

    /// The name `AUDIT_LOGS_CLOUD` takes: `commercial`, `gcc`, `gcchigh` or `dod`.
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Commercial => "commercial",
            Cloud::Gcc => "gcc",
            Cloud::GccHigh => "gcchigh",
            Cloud::Dod => "dod",
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An `AUDIT_LOGS_CLOUD` value that names none of the four clouds; it holds the value given.
#[derive(Debug, thiserror::Error)]
#[error("unknown cloud {0:?}: expected one of commercial, gcc, gcchigh, dod")]
pub struct UnknownCloud(pub String);

impl FromStr for Cloud {
    type Err = UnknownCloud;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Admins copy these names from several Microsoft pages, which spell them differently.
        let folded: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .collect::<String>()
            .to_ascii_lowercase();
        match folded.as_str() {
            "commercial" | "public" | "global" | "worldwide" => Ok(Cloud::Commercial),
            "gcc" => Ok(Cloud::Gcc),
            "gcchigh" => Ok(Cloud::GccHigh),
            "dod" => Ok(Cloud::Dod),
            _ => Err(UnknownCloud(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_follow_microsofts_table() {
        assert_eq!(Cloud::Commercial.audience(), "https://manage.office.com");
        assert_eq!(Cloud::Gcc.audience(), "https://manage-gcc.office.com");
        assert_eq!(Cloud::Gcc.authority(), "https://login.windows.net");
        assert_eq!(Cloud::GccHigh.audience(), "https://manage.office365.us");
        assert_eq!(
            Cloud::GccHigh.authority(),
            "https://login.microsoftonline.us"
        );
        assert_eq!(Cloud::Dod.audience(), "https://manage.protection.apps.mil");
        assert_eq!(Cloud::Dod.authority(), "https://login.microsoftonline.us");
    }

    #[test]
    fn names_parse_in_their_common_spellings() {
        assert_eq!("GCC-High".parse::<Cloud>().unwrap(), Cloud::GccHigh);
        assert_eq!("gcc_high".parse::<Cloud>().unwrap(), Cloud::GccHigh);
        assert_eq!(" DoD ".parse::<Cloud>().unwrap(), Cloud::Dod);
        assert_eq!("Commercial".parse::<Cloud>().unwrap(), Cloud::Commercial);
        for cloud in Cloud::ALL {
            assert_eq!(cloud.name().parse::<Cloud>().unwrap(), cloud);
        }
        let err = "china".parse::<Cloud>().unwrap_err().to_string();
        assert!(err.contains("china") && err.contains("gcchigh"), "{err}");
    }
}
