<#
open-batch.ps1 - kenshin のバッチ (.p7m) を開き、CSV の SHA-256 を確かめる。
Opens a kenshin batch (.p7m) with the key in the Windows certificate store
(CurrentUser\My, imported from hc.pfx: docs/exports.md section 4a) and checks the
CSV's SHA-256 against the value pasted from the staff exports page.

Start it with open-batch.cmd (double-click, or drop the .p7m onto it).

Why EnvelopedCms and not Unprotect-CmsMessage: Unprotect-CmsMessage returns a *string*
(and reads PEM-armoured text). The CSV is CP932 or UTF-8 with BOM; turning it into a
string and back can change bytes, and then its SHA-256 would no longer match. The .NET
EnvelopedCms class gives the decrypted bytes exactly as they were encrypted.

Not run on Windows by the kenshin developers (no PowerShell where the tests run): keep it
short enough to read before trusting it. Saved as UTF-8 with BOM so that Windows
PowerShell 5.1 reads the Japanese text correctly.

Exit codes as kenshin_open.py: 0 ok, 1 file missing, 2 key not found / cannot open,
3 damaged, 4 SHA-256 mismatch, 5 stopped by the user.
#>
param([string]$Path)

$ErrorActionPreference = 'Stop'
Add-Type -AssemblyName System.Security        # EnvelopedCms (.NET Framework)
Add-Type -AssemblyName System.Windows.Forms
Add-Type -AssemblyName Microsoft.VisualBasic  # InputBox

function Show-Message([string]$Text, [bool]$Ok) {
    $icon = if ($Ok) { [System.Windows.Forms.MessageBoxIcon]::Information }
            else { [System.Windows.Forms.MessageBoxIcon]::Error }
    [void][System.Windows.Forms.MessageBox]::Show(
        $Text, 'kenshin', [System.Windows.Forms.MessageBoxButtons]::OK, $icon)
}

function Stop-WithMessage([string]$Text, [int]$Code) {
    Show-Message ("失敗 / FAILED`r`n`r`n" + $Text) $false
    exit $Code
}

# 1. The batch: dropped onto the .cmd, or chosen in a file dialog.
if (-not $Path) {
    $dialog = New-Object System.Windows.Forms.OpenFileDialog
    $dialog.Title = '開くバッチ (.p7m) を選んでください / Choose the batch (.p7m)'
    $dialog.Filter = 'kenshin batch (*.p7m)|*.p7m|All files (*.*)|*.*'
    if ($dialog.ShowDialog() -ne [System.Windows.Forms.DialogResult]::OK) { exit 5 }
    $Path = $dialog.FileName
}
if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) {
    Stop-WithMessage "ファイルがありません: $Path`r`nFile not found." 1
}
$Path = (Resolve-Path -LiteralPath $Path).ProviderPath

# 2. The expected SHA-256: pasted from the staff page ("CSV").
$answer = [Microsoft.VisualBasic.Interaction]::InputBox(
    "職員用画面の「CSV」の SHA-256 を貼り付けてください。`r`nPaste the CSV SHA-256 from the staff page.",
    'kenshin')
$expected = (($answer -replace '\s', '').ToLowerInvariant()) -replace '^(sha-?256)?[:=]?', ''
if (-not $answer) { exit 5 }
if ($expected -notmatch '^[0-9a-f]{64}$') {
    Stop-WithMessage "SHA-256 は 16 進数 64 文字です。`r`nA SHA-256 is 64 hexadecimal characters." 5
}

# 3. Decode the envelope and find our certificate (with its key) in CurrentUser\My.
$cms = New-Object System.Security.Cryptography.Pkcs.EnvelopedCms
try {
    $cms.Decode([System.IO.File]::ReadAllBytes($Path))
} catch {
    Stop-WithMessage "暗号化されたバッチではないか、壊れています。もう一度ダウンロードしてください。`r`nNot a kenshin batch, or damaged: download it again." 3
}
$recipient = $cms.RecipientInfos[0]
$serial = ([string]$recipient.RecipientIdentifier.Value.SerialNumber).TrimStart('0')
$mine = @(Get-ChildItem Cert:\CurrentUser\My | Where-Object {
    $_.HasPrivateKey -and $_.SerialNumber.TrimStart('0') -eq $serial })
if ($mine.Count -eq 0) {
    Stop-WithMessage "このバッチを開く鍵が証明書ストアにありません（hc.pfx を取り込んでください）。`r`nThe key for this batch is not in your certificate store (import hc.pfx)." 2
}
$store = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2Collection
foreach ($certificate in $mine) { [void]$store.Add($certificate) }
try {
    $cms.Decrypt($recipient, $store)
} catch {
    Stop-WithMessage "バッチを開けませんでした（ファイルが壊れているか、鍵が違います）。`r`nThe batch could not be opened (damaged file or wrong key).`r`n$($_.Exception.Message)" 3
}
$plaintext = $cms.ContentInfo.Content   # byte[]: the CSV exactly as exported

# 4. Write to a temporary file, hash it, keep it only when the SHA-256 matches.
$csv = [System.IO.Path]::ChangeExtension($Path, '.csv')
$partial = "$csv.part"
[System.IO.File]::WriteAllBytes($partial, $plaintext)
$actual = (Get-FileHash -LiteralPath $partial -Algorithm SHA256).Hash.ToLowerInvariant()
if ($actual -ne $expected) {
    Remove-Item -LiteralPath $partial -Force
    Stop-WithMessage "SHA-256 が一致しません。CSV は保存していません。取り込まずに管理者に連絡してください。`r`nThe SHA-256 does not match; the CSV was NOT saved. Do not import.`r`n`r`n画面の値 expected: $expected`r`n実際の値 actual:   $actual" 4
}
if (Test-Path -LiteralPath $csv) {
    $overwrite = [System.Windows.Forms.MessageBox]::Show(
        "$csv はすでにあります。上書きしますか？`r`nOverwrite $csv?", 'kenshin',
        [System.Windows.Forms.MessageBoxButtons]::YesNo,
        [System.Windows.Forms.MessageBoxIcon]::Question)
    if ($overwrite -ne [System.Windows.Forms.DialogResult]::Yes) {
        Remove-Item -LiteralPath $partial -Force
        Stop-WithMessage "上書きしませんでした: $csv`r`nNot overwritten." 5
    }
}
Move-Item -LiteralPath $partial -Destination $csv -Force
Show-Message "OK: SHA-256 が一致しました。CSV を保存しました。`r`nSHA-256 matched; the CSV was saved.`r`n`r`n$csv`r`nSHA-256 $actual" $true
exit 0
