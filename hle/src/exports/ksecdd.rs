//! ksecdd.sys and cng.sys: both export CNG's BCrypt routines (see ntoskrnl.rs for the form of
//! a line; the routines are in `crate::ksecdd`). cng.sys lists the routines its signature
//! list knows.

use crate::exports::{Dll, ExportDef};
use crate::ksecdd::{hash, key, logon, provider, symmetric};
use crate::types::*;

pub static KSECDD: &[ExportDef] = crate::exports! {
    dll: Dll::Ksecdd,
    data: [],
    functions:
    stdcall fn BCryptOpenAlgorithmProvider(phAlgorithm: Ptr, pszAlgId: PCWSTR, pszImplementation: PCWSTR, dwFlags: u32) -> NtStatus = provider::BCryptOpenAlgorithmProvider;
    stdcall fn BCryptCloseAlgorithmProvider(hAlgorithm: Ptr, dwFlags: u32) -> NtStatus = provider::BCryptCloseAlgorithmProvider;
    stdcall fn BCryptGetProperty(hObject: Ptr, pszProperty: PCWSTR, pbOutput: Ptr, cbOutput: u32, pcbResult: Ptr, dwFlags: u32) -> NtStatus = provider::BCryptGetProperty;
    stdcall fn BCryptCreateHash(hAlgorithm: Ptr, phHash: Ptr, pbHashObject: Ptr, cbHashObject: u32, pbSecret: Ptr, cbSecret: u32, dwFlags: u32) -> NtStatus = hash::BCryptCreateHash;
    stdcall fn BCryptHashData(hHash: Ptr, pbInput: Ptr, cbInput: u32, dwFlags: u32) -> NtStatus = hash::BCryptHashData;
    stdcall fn BCryptFinishHash(hHash: Ptr, pbOutput: Ptr, cbOutput: u32, dwFlags: u32) -> NtStatus = hash::BCryptFinishHash;
    stdcall fn BCryptDestroyHash(hHash: Ptr) -> NtStatus = hash::BCryptDestroyHash;
    stdcall fn BCryptImportKeyPair(hAlgorithm: Ptr, hImportKey: Ptr, pszBlobType: PCWSTR, phKey: Ptr, pbInput: Ptr, cbInput: u32, dwFlags: u32) -> NtStatus = key::BCryptImportKeyPair;
    stdcall fn BCryptVerifySignature(hKey: Ptr, pPaddingInfo: Ptr, pbHash: Ptr, cbHash: u32, pbSignature: Ptr, cbSignature: u32, dwFlags: u32) -> NtStatus = key::BCryptVerifySignature;
    stdcall fn BCryptDestroyKey(hKey: Ptr) -> NtStatus = key::BCryptDestroyKey;
    stdcall fn BCryptImportKey(hAlgorithm: Ptr, hImportKey: Ptr, pszBlobType: PCWSTR, phKey: Ptr, pbKeyObject: Ptr, cbKeyObject: u32, pbInput: Ptr, cbInput: u32, dwFlags: u32) -> NtStatus = symmetric::BCryptImportKey;
    stdcall fn BCryptSetProperty(hObject: Ptr, pszProperty: PCWSTR, pbInput: Ptr, cbInput: u32, dwFlags: u32) -> NtStatus = symmetric::BCryptSetProperty;
    stdcall fn BCryptDecrypt(hKey: Ptr, pbInput: Ptr, cbInput: u32, pPaddingInfo: Ptr, pbIV: Ptr, cbIV: u32, pbOutput: Ptr, cbOutput: u32, pcbResult: Ptr, dwFlags: u32) -> NtStatus = symmetric::BCryptDecrypt;
    stdcall fn BCryptEncrypt(hKey: Ptr, pbInput: Ptr, cbInput: u32, pPaddingInfo: Ptr, pbIV: Ptr, cbIV: u32, pbOutput: Ptr, cbOutput: u32, pcbResult: Ptr, dwFlags: u32) -> NtStatus = symmetric::BCryptEncrypt;
    stdcall fn GetSecurityUserInfo(LogonId: Ptr, Flags: u32, UserInformation: Ptr) -> NtStatus = logon::GetSecurityUserInfo;
};

pub static CNG: &[ExportDef] = crate::exports! {
    dll: Dll::Cng,
    data: [],
    functions:
    stdcall fn BCryptOpenAlgorithmProvider(phAlgorithm: Ptr, pszAlgId: PCWSTR, pszImplementation: PCWSTR, dwFlags: u32) -> NtStatus = provider::BCryptOpenAlgorithmProvider;
    stdcall fn BCryptCloseAlgorithmProvider(hAlgorithm: Ptr, dwFlags: u32) -> NtStatus = provider::BCryptCloseAlgorithmProvider;
    stdcall fn BCryptGetProperty(hObject: Ptr, pszProperty: PCWSTR, pbOutput: Ptr, cbOutput: u32, pcbResult: Ptr, dwFlags: u32) -> NtStatus = provider::BCryptGetProperty;
    stdcall fn BCryptDestroyKey(hKey: Ptr) -> NtStatus = key::BCryptDestroyKey;
    stdcall fn BCryptImportKey(hAlgorithm: Ptr, hImportKey: Ptr, pszBlobType: PCWSTR, phKey: Ptr, pbKeyObject: Ptr, cbKeyObject: u32, pbInput: Ptr, cbInput: u32, dwFlags: u32) -> NtStatus = symmetric::BCryptImportKey;
    stdcall fn BCryptSetProperty(hObject: Ptr, pszProperty: PCWSTR, pbInput: Ptr, cbInput: u32, dwFlags: u32) -> NtStatus = symmetric::BCryptSetProperty;
    stdcall fn BCryptDecrypt(hKey: Ptr, pbInput: Ptr, cbInput: u32, pPaddingInfo: Ptr, pbIV: Ptr, cbIV: u32, pbOutput: Ptr, cbOutput: u32, pcbResult: Ptr, dwFlags: u32) -> NtStatus = symmetric::BCryptDecrypt;
};
