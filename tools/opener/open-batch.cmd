@echo off
rem kenshin: double-click, or drop a .p7m batch onto this file.
rem Runs open-batch.ps1 (next to this file) with the execution policy relaxed for that
rem one script only; nothing on the PC's policy is changed.
powershell.exe -NoProfile -ExecutionPolicy Bypass -STA -File "%~dp0open-batch.ps1" "%~1"
